import Foundation
import FuzzSupport
import SyncCore

/// Zawgyi detection and conversion. Invariants:
///
/// - text not taken as Zawgyi comes back unchanged;
/// - normalising is idempotent: what `normalize` returns is not taken as
///   Zawgyi again, so a question is never converted twice;
/// - text without Myanmar characters is never taken as Zawgyi.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzZawgyi(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = fuzzInput(start, count)
    guard let text = String(validating: input, as: UTF8.self) else { return 0 }
    let (once, wasZawgyi) = Zawgyi.normalize(text)
    if !wasZawgyi, once != text {
        violated("text not taken as Zawgyi was changed", input)
    }
    let (twice, againZawgyi) = Zawgyi.normalize(once)
    if againZawgyi || twice != once {
        violated("normalize is not idempotent: \(codePoints(text)) became \(codePoints(once)), "
            + "then \(codePoints(twice))", input)
    }
    // Only the main Myanmar block: the extended blocks hold letters of
    // other languages of Myanmar, which Zawgyi never encoded, so text in
    // them may be classed as Unicode, but never as Zawgyi.
    let hasMyanmar = text.unicodeScalars.contains { (0x1000...0x109F).contains($0.value) }
    if !hasMyanmar, Zawgyi.detect(text) == .zawgyi {
        violated("text without Myanmar characters was classed as Zawgyi", input)
    }
    return 0
}

func codePoints(_ text: String) -> String {
    text.unicodeScalars.map { String(format: "%04X", $0.value) }.joined(separator: " ")
}
