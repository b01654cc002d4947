import Foundation

/// Removes personal details from a visitor's question before anything is
/// stored: phone numbers, Myanmar National Registration Card numbers,
/// passport numbers and e-mail addresses become placeholders such as
/// `[phone]`.
///
/// The people asking may be undocumented or at risk, so the rules lean
/// towards removing: any long run of digits that starts like a phone number
/// goes. What must survive are the things a question is about: dates,
/// amounts, years and licence numbers such as `MOL/OEA-123/2024`.
///
/// Burmese digits (၀–၉) count as digits everywhere, and numbers may be
/// split by spaces, dashes, dots or brackets.
///
/// Not caught, since no rule describes them without also removing what
/// questions are about: a passport number run straight into a phone
/// number (`MB123456709421234567`), long numbers that start like no phone
/// number (`ID 123456789012`), and addresses spelled out (`mya at example
/// dot org`).
public enum Scrubber {
    public struct Result: Equatable, Sendable {
        public var text: String
        /// How many details were replaced.
        public var redactions: Int
    }

    public static func scrub(_ text: String) -> Result {
        var scalars = Array(text.unicodeScalars)
        var redactions = 0
        // Removing one detail can expose another: a passport number glued
        // to a phone number stands on its own only once the phone number is
        // gone. So passes repeat until one finds nothing. Every detail found
        // holds a digit or an `@` and its placeholder holds neither, so each
        // pass that finds something leaves fewer of them, and this ends.
        while true {
            var found = 0
            for rule in [emailRule, nrcRule, passportRule] {
                found += rule.replace(in: &scalars)
            }
            found += replacePhones(in: &scalars)
            guard found > 0 else { break }
            redactions += found
        }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars)
        return Result(text: String(out), redactions: redactions)
    }

    // MARK: - Patterns

    /// Rules written as regular expressions over text whose Burmese digits
    /// were turned into ASCII ones; Burmese digits map one scalar to one
    /// scalar, so match positions carry over to the original.
    private struct Rule {
        let expression: NSRegularExpression
        let placeholder: String

        init(_ pattern: String, _ placeholder: String) {
            // The patterns are constants; a typo is a programmer error.
            expression = try! NSRegularExpression(pattern: pattern, options: [])
            self.placeholder = placeholder
        }

        func replace(in scalars: inout [Unicode.Scalar]) -> Int {
            let ascii = asciiDigits(scalars)
            let matches = expression.matches(
                in: ascii, range: NSRange(ascii.startIndex..., in: ascii))
            guard !matches.isEmpty else { return 0 }
            // Matches are counted in UTF-16 units and may end inside a
            // character (a digit with a combining mark), where a String
            // range cannot; scalar positions always exist.
            var scalarAt = [Int](repeating: 0, count: ascii.utf16.count + 1)
            var unit = 0
            for (index, scalar) in scalars.enumerated() {
                for _ in 0..<UTF16.width(scalar) {
                    scalarAt[unit] = index
                    unit += 1
                }
            }
            scalarAt[unit] = scalars.count
            for match in matches.reversed() {
                let start = scalarAt[match.range.location]
                let end = scalarAt[match.range.location + match.range.length]
                scalars.replaceSubrange(start..<end, with: Array(placeholder.unicodeScalars))
            }
            return matches.count
        }
    }

    /// A match may only start where a run of address characters starts:
    /// without the look-behind, a long word with no `@` would be tried
    /// from every one of its letters, which takes quadratic time.
    private static let emailRule = Rule(
        #"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]++@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"#,
        "[email]")

    /// `12/MaYaKa(N)123456`, `၁၂/မရက(နိုင်)၁၂၃၄၅၆`: state or region number,
    /// township code, citizenship type in brackets, six digits.
    /// The citizenship type may also stand without brackets, between
    /// spaces: `12/MYK N 123456`.
    private static let nrcRule = Rule(
        #"(?<![0-9])(1[0-4]|0?[1-9])\s*/\s*[A-Za-z\x{1000}-\x{109F}][A-Za-z\x{1000}-\x{109F} ]{1,20}"#
            + #"(?:\s*[(（]\s*[A-Za-z\x{1000}-\x{109F}]{1,8}\s*[)）]"#
            + #"|\s[A-Za-z\x{1000}-\x{109F}]{1,8}\s)\s*[0-9]{5,6}(?![0-9])"#,
        "[nrc]")

    /// One or two letters and six to eight digits: `MB1234567`, `mb1234567`,
    /// `MA 654321`, `mb-1234567`. Set apart from the digits by a space or a
    /// dash, the letters count when they are capitals or two letters that
    /// are no common short word, so that `Is 1500000 kyat` or `fee is
    /// 2000000` keeps its amount.
    private static let passportRule = Rule(
        #"(?<![A-Za-z0-9])(?:[A-Za-z]{1,2}|[A-Z]{1,2}[ \-]|"#
            + #"(?i:(?!(?:\#(shortWords))[ \-])[a-z]{2})[ \-])[0-9]{6,8}(?![A-Za-z0-9])"#,
        "[passport]")

    /// English words of two letters that stand before numbers in questions.
    private static let shortWords = [
        "am", "an", "as", "at", "be", "by", "do", "go", "he", "if", "in", "is", "it", "me",
        "my", "no", "of", "on", "or", "so", "to", "up", "us", "we",
    ].joined(separator: "|")

    // MARK: - Phone numbers

    /// Country codes of Myanmar and the main destination countries.
    private static let countryCodes = ["95", "66", "60", "65", "82", "81", "886", "852", "971", "974"]

    /// Finds runs of digits joined by single separators, and replaces those
    /// that look like phone numbers.
    private static func replacePhones(in scalars: inout [Unicode.Scalar]) -> Int {
        var count = 0
        var runs = [(start: Int, end: Int, digits: String, plus: Bool)]()
        var position = 0
        while position < scalars.count {
            // A number glued to a word ("tel09421234567") is still a number.
            guard digit(scalars[position]) != nil else {
                position += 1
                continue
            }
            var end = position
            var digits = ""
            var cursor = position
            while cursor < scalars.count {
                if let value = digit(scalars[cursor]) {
                    digits.append(value)
                    end = cursor + 1
                    cursor += 1
                } else if isSeparator(scalars[cursor]), cursor + 1 < scalars.count,
                          digit(scalars[cursor + 1]) != nil
                          || (isSeparator(scalars[cursor + 1]) && cursor + 2 < scalars.count
                              && digit(scalars[cursor + 2]) != nil)
                {
                    cursor += 1
                } else {
                    break
                }
            }
            var start = position
            var plus = false
            if position > 0, scalars[position - 1] == "+" {
                start -= 1
                plus = true
            } else if position > 0, scalars[position - 1] == "(" {
                start -= 1
            }
            runs.append((start, end, digits, plus))
            position = max(cursor, position + 1)
        }
        // Several numbers may sit side by side ("09421234567 2026"): when a
        // run as a whole is no phone number, try its space-separated groups.
        var spans = [(start: Int, end: Int)]()
        for run in runs {
            spans += phoneSpans(in: run, scalars: scalars)
        }
        // Backwards, so that replacing a span keeps earlier indexes valid.
        for span in spans.reversed() {
            scalars.replaceSubrange(span.start..<span.end, with: Array("[phone]".unicodeScalars))
            count += 1
        }
        return count
    }

    /// The parts of a run of digits that are phone numbers: the whole run,
    /// or else the longest phone numbers made of its space-separated groups.
    ///
    /// What is left between the numbers found is judged again as a run of
    /// its own, exactly as it would stand in the scrubbed text, so that
    /// scrubbing the result finds nothing more.
    private static func phoneSpans(
        in run: (start: Int, end: Int, digits: String, plus: Bool), scalars: [Unicode.Scalar]
    ) -> [(start: Int, end: Int)] {
        let text = String(String.UnicodeScalarView(scalars[run.start..<run.end]))
        let whole = [(start: run.start, end: run.end)]
        if isPhone(digits: run.digits, plus: run.plus, text: text, strict: true) { return whole }
        // Groups: maximal stretches of digits between separators.
        var groups = [(start: Int, end: Int)]()
        var cursor = run.start
        while cursor < run.end {
            while cursor < run.end && digit(scalars[cursor]) == nil { cursor += 1 }
            let start = cursor
            while cursor < run.end && digit(scalars[cursor]) != nil { cursor += 1 }
            if cursor > start { groups.append((start, cursor)) }
        }
        let lenient = isPhone(digits: run.digits, plus: run.plus, text: text, strict: false)
        guard groups.count > 1 else { return lenient ? whole : [] }

        var spans = [(start: Int, end: Int)]()
        var leftovers = [ClosedRange<Int>]()
        var first = 0
        while first < groups.count {
            let plus = first == 0 && run.plus
            let start = first == 0 ? run.start : groups[first].start
            if let last = longestPhone(from: first, in: groups, plus: plus, scalars: scalars) {
                spans.append((start, groups[last].end))
                first = last + 1
                continue
            }
            // No phone number of a real length starts here, but this group
            // alone may start like one with more digits typed on: remove it,
            // as a run of one group would be.
            let piece = String(String.UnicodeScalarView(scalars[start..<groups[first].end]))
            let digits = String(piece.unicodeScalars.compactMap(digit))
            if isPhone(digits: digits, plus: plus, text: piece, strict: false) {
                spans.append((start, groups[first].end))
            } else if let previous = leftovers.last, previous.upperBound == first - 1 {
                leftovers[leftovers.count - 1] = previous.lowerBound...first
            } else {
                leftovers.append(first...first)
            }
            first += 1
        }
        // Nothing fitted a phone number, but the run as a whole starts like
        // one: remove it all rather than leave a number behind.
        guard !spans.isEmpty else { return lenient ? whole : [] }
        for stretch in leftovers {
            let leftover = leftoverRun(stretch, in: groups, of: run, scalars: scalars)
            spans += phoneSpans(in: leftover, scalars: scalars)
        }
        return spans.sorted { $0.start < $1.start }
    }

    /// The last group of the longest phone number that starts at group
    /// `first`. No real number has more than 16 digits, which bounds the
    /// search and keeps scrubbing a long run of digits linear.
    private static func longestPhone(
        from first: Int, in groups: [(start: Int, end: Int)], plus: Bool,
        scalars: [Unicode.Scalar]
    ) -> Int? {
        var found: Int?
        var digits = ""
        for last in first..<groups.count {
            digits += String(scalars[groups[last].start..<groups[last].end].compactMap(digit))
            guard digits.count <= 16 else { break }
            let span = groups[first].start..<groups[last].end
            let piece = String(String.UnicodeScalarView(scalars[span]))
            if isPhone(digits: digits, plus: plus, text: piece, strict: true) { found = last }
        }
        return found
    }

    /// A stretch of groups as the run it becomes once the numbers around it
    /// are replaced: a bracket just before it joins it, as it would join
    /// any run.
    private static func leftoverRun(
        _ stretch: ClosedRange<Int>, in groups: [(start: Int, end: Int)],
        of parent: (start: Int, end: Int, digits: String, plus: Bool), scalars: [Unicode.Scalar]
    ) -> (start: Int, end: Int, digits: String, plus: Bool) {
        let end = groups[stretch.upperBound].end
        var digits = ""
        for group in groups[stretch] {
            digits += String(scalars[group.start..<group.end].compactMap(digit))
        }
        if stretch.lowerBound == 0 {
            return (parent.start, end, digits, parent.plus)
        }
        var start = groups[stretch.lowerBound].start
        if scalars[start - 1] == "(" { start -= 1 }
        return (start, end, digits, false)
    }

    /// Whether digits look like a phone number. `strict` asks for the
    /// lengths real numbers have; otherwise any longer run that starts
    /// like one counts too, since it may hide a number with more glued on.
    static func isPhone(digits: String, plus: Bool, text: String, strict: Bool) -> Bool {
        let length = digits.count
        if looksLikeDate(text) { return false }
        if plus { return strict ? (8...15).contains(length) : length >= 8 }
        // A leading 0 is a trunk prefix, or "00" for calling abroad.
        if digits.hasPrefix("0") {
            let lengths = digits.hasPrefix("00") ? 10...16 : 9...11
            return strict ? lengths.contains(length) : length >= 9
        }
        if countryCodes.contains(where: { digits.hasPrefix($0) }) { return (10...14).contains(length) }
        // A Myanmar mobile written without its leading 0: 9 and 7–10 more digits.
        if digits.hasPrefix("9") && (8...11).contains(length) && text.contains(where: isSeparatorCharacter) {
            return true
        }
        return false
    }

    /// `2026-12-03`, `03-12-2026`, `3.12.2026`: a date, not a number to call.
    private static func looksLikeDate(_ text: String) -> Bool {
        let parts = text.split(whereSeparator: { "-./ ".contains($0) }).map(String.init)
        guard parts.count == 3 else { return false }
        let lengths = parts.map(\.count)
        return lengths == [4, 2, 2] || lengths == [2, 2, 4] || lengths == [1, 2, 4]
            || lengths == [2, 1, 4] || lengths == [1, 1, 4]
    }

    private static func isSeparatorCharacter(_ character: Character) -> Bool {
        " -.()".contains(character)
    }

    private static func isSeparator(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "-" || scalar == "." || scalar == "(" || scalar == ")"
    }

    /// The ASCII digit for an ASCII or Burmese digit.
    private static func digit(_ scalar: Unicode.Scalar) -> Character? {
        switch scalar.value {
        case 0x30...0x39: return Character(scalar)
        case 0x1040...0x1049: return Character(Unicode.Scalar(scalar.value - 0x1040 + 0x30)!)
        default: return nil
        }
    }

    private static func asciiDigits(_ scalars: [Unicode.Scalar]) -> String {
        var view = String.UnicodeScalarView()
        for scalar in scalars {
            if (0x1040...0x1049).contains(scalar.value) {
                view.append(Unicode.Scalar(scalar.value - 0x1040 + 0x30)!)
            } else {
                view.append(scalar)
            }
        }
        return String(view)
    }
}
