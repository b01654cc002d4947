import Foundation
import FuzzSupport
import SyncCore

/// Removing personal details from visitors' questions. Invariants:
///
/// - no run of nine or more digits (ASCII or Burmese) that starts with a
///   zero, as Myanmar phone numbers do, survives;
/// - nothing replaced means nothing changed;
/// - scrubbing what was scrubbed changes nothing more.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzScrubber(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = fuzzInput(start, count)
    guard let text = String(validating: input, as: UTF8.self) else { return 0 }
    let result = Scrubber.scrub(text)
    if let run = DigitRuns.longestStartingWithZero(result.text), run.count >= 9 {
        violated("a \(run.count)-digit run starting with 0 survived scrubbing: \(run)", input)
    }
    if result.redactions == 0, result.text != text {
        violated("the text changed with no redaction counted", input)
    }
    if result.redactions < 0 {
        violated("a negative redaction count", input)
    }
    let again = Scrubber.scrub(result.text)
    if again.text != result.text {
        violated("scrubbing is not idempotent: \(result.text) became \(again.text)", input)
    }
    return 0
}

enum DigitRuns {
    static func isDigit(_ scalar: Unicode.Scalar) -> Bool {
        (0x30...0x39).contains(scalar.value) || (0x1040...0x1049).contains(scalar.value)
    }

    static func isZero(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value == 0x30 || scalar.value == 0x1040
    }

    /// The longest maximal run of digits whose first digit is a zero.
    static func longestStartingWithZero(_ text: String) -> String? {
        let scalars = Array(text.unicodeScalars)
        var best: ArraySlice<Unicode.Scalar>? = nil
        var start = 0
        while start < scalars.count {
            guard isDigit(scalars[start]) else {
                start += 1
                continue
            }
            var end = start
            while end < scalars.count, isDigit(scalars[end]) { end += 1 }
            if isZero(scalars[start]), end - start > (best?.count ?? 0) {
                best = scalars[start..<end]
            }
            start = end
        }
        return best.map { String(String.UnicodeScalarView($0)) }
    }
}
