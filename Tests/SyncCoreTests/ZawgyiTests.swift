import Foundation
import Testing
@testable import SyncCore

/// Code points in storage order. Swift's `==` on strings compares canonical
/// equivalence, which would accept dot below and asat in either order.
private func codePoints(_ text: String) -> [UInt32] {
    text.unicodeScalars.map(\.value)
}

@Suite("Zawgyi")
struct ZawgyiTests {
    /// A string with a gloss, so that a failing case names itself.
    struct Sample: Sendable, CustomTestStringConvertible {
        let gloss: String
        let text: String

        init(_ gloss: String, _ text: String) {
            self.gloss = gloss
            self.text = text
        }

        var testDescription: String { gloss }
    }

    /// A Zawgyi string and the exact Unicode it stands for.
    struct Conversion: Sendable, CustomTestStringConvertible {
        let gloss: String
        let zawgyi: String
        let unicode: String

        var testDescription: String { gloss }
    }

    static let unicode: [Sample] = [
        Sample("give (1 syllable)", "\u{1015}\u{1031}\u{1038}"),
        Sample("which (1 syllable)", "\u{1018}\u{101A}\u{103A}"),
        Sample("plural marker (1 syllable)", "\u{1010}\u{103D}\u{1031}"),
        Sample("look (1 syllable)", "\u{1000}\u{103C}\u{100A}\u{1037}\u{103A}"),
        Sample("Thai (1 syllable)", "\u{1011}\u{102D}\u{102F}\u{1004}\u{103A}\u{1038}"),
        Sample(
            "please say (2 syllables)", "\u{1015}\u{103C}\u{1031}\u{102C}\u{1015}\u{102B}"),
        Sample("Myanmar (2 syllables)", "\u{1019}\u{103C}\u{1014}\u{103A}\u{1019}\u{102C}"),
        Sample(
            "greeting, with kinzi",
            "\u{1019}\u{1004}\u{103A}\u{1039}\u{1002}\u{101C}\u{102C}\u{1015}\u{102B}"),
        Sample(
            "thank you",
            "\u{1000}\u{103B}\u{1031}\u{1038}\u{1007}\u{1030}\u{1038}"
                + "\u{1010}\u{1004}\u{103A}\u{1015}\u{102B}\u{1010}\u{101A}\u{103A}"),
        Sample(
            "Malaysia (3 syllables)",
            "\u{1019}\u{101C}\u{1031}\u{1038}\u{101B}\u{103E}\u{102C}\u{1038}"),
        Sample(
            "is there work in Thailand, mixed with English",
            "Thailand \u{1019}\u{103E}\u{102C} \u{1021}\u{101C}\u{102F}\u{1015}\u{103A}"
                + "\u{101B}\u{103E}\u{102D}\u{101C}\u{102C}\u{1038}"),
        Sample(
            "phone number, with ASCII digits",
            "\u{1016}\u{102F}\u{1014}\u{103A}\u{1038}\u{1014}\u{1036}\u{1015}\u{102B}"
                + "\u{1010}\u{103A} 09 123 4567"),
        Sample(
            "how long for a passport",
            "\u{1014}\u{102D}\u{102F}\u{1004}\u{103A}\u{1004}\u{1036}\u{1000}\u{1030}\u{1038}"
                + "\u{101C}\u{1000}\u{103A}\u{1019}\u{103E}\u{1010}\u{103A} (passport) "
                + "\u{1018}\u{101A}\u{103A}\u{101C}\u{1031}\u{102C}\u{1000}\u{103A}"
                + "\u{1000}\u{103C}\u{102C}\u{101C}\u{1032}?"),
        Sample(
            "ministry",
            "\u{101D}\u{1014}\u{103A}\u{1000}\u{103C}\u{102E}\u{1038}\u{100C}\u{102C}\u{1014}"),
        Sample(
            "I want to talk to the agency",
            "\u{1000}\u{103B}\u{103D}\u{1014}\u{103A}\u{1010}\u{1031}\u{102C}\u{103A} "
                + "\u{1021}\u{1031}\u{1002}\u{103B}\u{1004}\u{103A}\u{1005}\u{102E}"
                + "\u{1014}\u{1032}\u{1037} \u{1005}\u{1000}\u{102C}\u{1038}"
                + "\u{1015}\u{103C}\u{1031}\u{102C}\u{1001}\u{103B}\u{1004}\u{103A}"
                + "\u{1015}\u{102B}\u{1010}\u{101A}\u{103A}"),
        Sample(
            "salary 5000 baht, Myanmar digits",
            "\u{101C}\u{1005}\u{102C} \u{1045}\u{1040}\u{1040}\u{1040} \u{1018}\u{1010}\u{103A}"),
        Sample(
            "formal I", "\u{1000}\u{103B}\u{103D}\u{1014}\u{103A}\u{102F}\u{1015}\u{103A}"),
        Sample("go", "\u{101E}\u{103D}\u{102C}\u{1038}"),
    ]

    static let zawgyi: [Sample] = [
        Sample("give (1 syllable)", "\u{1031}\u{1015}\u{1038}"),
        Sample("which (1 syllable)", "\u{1018}\u{101A}\u{1039}"),
        Sample("plural marker (1 syllable)", "\u{1031}\u{1010}\u{103C}"),
        Sample("look (1 syllable)", "\u{107E}\u{1000}\u{100A}\u{1037}\u{1039}"),
        Sample("Thai (1 syllable)", "\u{1011}\u{102D}\u{102F}\u{1004}\u{1039}\u{1038}"),
        Sample("go (1 syllable)", "\u{101E}\u{103C}\u{102C}\u{1038}"),
        Sample("village typed with digit seven", "\u{1047}\u{103C}\u{102C}"),
        Sample(
            "please say (2 syllables)", "\u{1031}\u{103B}\u{1015}\u{102C}\u{1015}\u{102B}"),
        Sample("Myanmar (2 syllables)", "\u{103B}\u{1019}\u{1014}\u{1039}\u{1019}\u{102C}"),
        Sample(
            "money (2 syllables)", "\u{1015}\u{102D}\u{102F}\u{1000}\u{1039}\u{1006}\u{1036}"),
        Sample(
            "greeting, with kinzi", "\u{1019}\u{1002}\u{1064}\u{101C}\u{102C}\u{1015}\u{102B}"),
        Sample(
            "thank you",
            "\u{1031}\u{1000}\u{103A}\u{1038}\u{1007}\u{1030}\u{1038}"
                + "\u{1010}\u{1004}\u{1039}\u{1015}\u{102B}\u{1010}\u{101A}\u{1039}"),
        Sample(
            "Malaysia (3 syllables)",
            "\u{1019}\u{1031}\u{101C}\u{1038}\u{101B}\u{103D}\u{102C}\u{1038}"),
        Sample(
            "is there work in Thailand, mixed with English",
            "Thailand \u{1019}\u{103D}\u{102C} \u{1021}\u{101C}\u{102F}\u{1015}\u{1039}"
                + "\u{101B}\u{103D}\u{102D}\u{101C}\u{102C}\u{1038}"),
        Sample(
            "phone number, with ASCII digits",
            "\u{1016}\u{102F}\u{1014}\u{1039}\u{1038}\u{1014}\u{1036}\u{1015}\u{102B}"
                + "\u{1010}\u{1039} 09 123 4567"),
        Sample(
            "how long for a passport",
            "\u{108F}\u{102D}\u{102F}\u{1004}\u{1039}\u{1004}\u{1036}\u{1000}\u{1030}\u{1038}"
                + "\u{101C}\u{1000}\u{1039}\u{1019}\u{103D}\u{1010}\u{1039} (passport) "
                + "\u{1018}\u{101A}\u{1039}\u{1031}\u{101C}\u{102C}\u{1000}\u{1039}"
                + "\u{107E}\u{1000}\u{102C}\u{101C}\u{1032}?"),
        Sample(
            "ministry, wa typed as digit zero",
            "\u{1040}\u{1014}\u{1039}\u{1080}\u{1000}\u{102E}\u{1038}\u{100C}\u{102C}\u{1014}"),
        Sample(
            "I want to talk to the agency",
            "\u{1000}\u{107D}\u{103C}\u{1014}\u{1039}\u{1031}\u{1010}\u{102C}\u{1039} "
                + "\u{1031}\u{1021}\u{1002}\u{103A}\u{1004}\u{1039}\u{1005}\u{102E}"
                + "\u{1014}\u{1032}\u{1094} \u{1005}\u{1000}\u{102C}\u{1038}"
                + "\u{1031}\u{103B}\u{1015}\u{102C}\u{1001}\u{103A}\u{1004}\u{1039}"
                + "\u{1015}\u{102B}\u{1010}\u{101A}\u{1039}"),
    ]

    static let conversions: [Conversion] = [
        Conversion(
            gloss: "give: E moves after its consonant",
            zawgyi: "\u{1031}\u{1015}\u{1038}", unicode: "\u{1015}\u{1031}\u{1038}"),
        Conversion(
            gloss: "which: Zawgyi virama is asat",
            zawgyi: "\u{1018}\u{101A}\u{1039}", unicode: "\u{1018}\u{101A}\u{103A}"),
        Conversion(
            gloss: "plural marker: medial wa before E",
            zawgyi: "\u{1031}\u{1010}\u{103C}", unicode: "\u{1010}\u{103D}\u{1031}"),
        Conversion(
            gloss: "money (silver): medial wa before E",
            zawgyi: "\u{1031}\u{1004}\u{103C}", unicode: "\u{1004}\u{103D}\u{1031}"),
        Conversion(
            gloss: "look: ra glyph moves, dot below before asat",
            zawgyi: "\u{107E}\u{1000}\u{100A}\u{1037}\u{1039}",
            unicode: "\u{1000}\u{103C}\u{100A}\u{1037}\u{103A}"),
        Conversion(
            gloss: "please say: E and ra both move",
            zawgyi: "\u{1031}\u{103B}\u{1015}\u{102C}\u{1015}\u{102B}",
            unicode: "\u{1015}\u{103C}\u{1031}\u{102C}\u{1015}\u{102B}"),
        Conversion(
            gloss: "Myanmar",
            zawgyi: "\u{103B}\u{1019}\u{1014}\u{1039}\u{1019}\u{102C}",
            unicode: "\u{1019}\u{103C}\u{1014}\u{103A}\u{1019}\u{102C}"),
        Conversion(
            gloss: "greeting: kinzi moves before its consonant",
            zawgyi: "\u{1019}\u{1002}\u{1064}\u{101C}\u{102C}\u{1015}\u{102B}",
            unicode: "\u{1019}\u{1004}\u{103A}\u{1039}\u{1002}\u{101C}\u{102C}\u{1015}\u{102B}"),
        Conversion(
            gloss: "English (language): kinzi",
            zawgyi: "\u{1021}\u{1002}\u{1064}\u{101C}\u{102D}\u{1015}\u{1039}",
            unicode: "\u{1021}\u{1004}\u{103A}\u{1039}\u{1002}\u{101C}\u{102D}\u{1015}\u{103A}"),
        Conversion(
            gloss: "ship: kinzi and E around one consonant",
            zawgyi: "\u{101E}\u{1031}\u{1018}\u{1064}\u{102C}",
            unicode: "\u{101E}\u{1004}\u{103A}\u{1039}\u{1018}\u{1031}\u{102C}"),
        Conversion(
            gloss: "thank you: medial ya",
            zawgyi: "\u{1031}\u{1000}\u{103A}\u{1038}\u{1007}\u{1030}\u{1038}"
                + "\u{1010}\u{1004}\u{1039}\u{1015}\u{102B}\u{1010}\u{101A}\u{1039}",
            unicode: "\u{1000}\u{103B}\u{1031}\u{1038}\u{1007}\u{1030}\u{1038}"
                + "\u{1010}\u{1004}\u{103A}\u{1015}\u{102B}\u{1010}\u{101A}\u{103A}"),
        Conversion(
            gloss: "school: medial ya with E and aa",
            zawgyi: "\u{1031}\u{1000}\u{103A}\u{102C}\u{1004}\u{1039}\u{1038}",
            unicode: "\u{1000}\u{103B}\u{1031}\u{102C}\u{1004}\u{103A}\u{1038}"),
        Conversion(
            gloss: "country: short na glyph",
            zawgyi: "\u{108F}\u{102D}\u{102F}\u{1004}\u{1039}\u{1004}\u{1036}",
            unicode: "\u{1014}\u{102D}\u{102F}\u{1004}\u{103A}\u{1004}\u{1036}"),
        Conversion(
            gloss: "and: medial ha",
            zawgyi: "\u{108F}\u{103D}\u{1004}\u{1037}\u{1039}",
            unicode: "\u{1014}\u{103E}\u{1004}\u{1037}\u{103A}"),
        Conversion(
            gloss: "front: medial ha, E and the shifted dot below",
            zawgyi: "\u{1031}\u{101B}\u{103D}\u{1095}",
            unicode: "\u{101B}\u{103E}\u{1031}\u{1037}"),
        Conversion(
            gloss: "Malaysia",
            zawgyi: "\u{1019}\u{1031}\u{101C}\u{1038}\u{101B}\u{103D}\u{102C}\u{1038}",
            unicode: "\u{1019}\u{101C}\u{1031}\u{1038}\u{101B}\u{103E}\u{102C}\u{1038}"),
        Conversion(
            gloss: "city: ra glyph, short u and shifted dot below",
            zawgyi: "\u{107F}\u{1019}\u{102D}\u{1033}\u{1095}",
            unicode: "\u{1019}\u{103C}\u{102D}\u{102F}\u{1037}"),
        Conversion(
            gloss: "welcome",
            zawgyi: "\u{1080}\u{1000}\u{102D}\u{1033}\u{1006}\u{102D}\u{102F}"
                + "\u{1015}\u{102B}\u{1010}\u{101A}\u{1039}",
            unicode: "\u{1000}\u{103C}\u{102D}\u{102F}\u{1006}\u{102D}\u{102F}"
                + "\u{1015}\u{102B}\u{1010}\u{101A}\u{103A}"),
        Conversion(
            gloss: "I (male): short ya glyph and medial wa",
            zawgyi: "\u{1000}\u{107D}\u{103C}\u{1014}\u{1039}\u{1031}\u{1010}\u{102C}\u{1039}",
            unicode: "\u{1000}\u{103B}\u{103D}\u{1014}\u{103A}\u{1010}\u{1031}\u{102C}\u{103A}"),
        Conversion(
            gloss: "formal I: asat stays before u",
            zawgyi: "\u{1000}\u{107D}\u{103C}\u{1014}\u{1039}\u{102F}\u{1015}\u{1039}",
            unicode: "\u{1000}\u{103B}\u{103D}\u{1014}\u{103A}\u{102F}\u{1015}\u{103A}"),
        Conversion(
            gloss: "agency",
            zawgyi: "\u{1031}\u{1021}\u{1002}\u{103A}\u{1004}\u{1039}\u{1005}\u{102E}",
            unicode: "\u{1021}\u{1031}\u{1002}\u{103B}\u{1004}\u{103A}\u{1005}\u{102E}"),
        Conversion(
            gloss: "danger: stacked ta glyph",
            zawgyi: "\u{1021}\u{108F}\u{1072}\u{101B}\u{102C}\u{101A}\u{1039}",
            unicode: "\u{1021}\u{1014}\u{1039}\u{1010}\u{101B}\u{102C}\u{101A}\u{103A}"),
        Conversion(
            gloss: "company: stacked pa glyph",
            zawgyi: "\u{1000}\u{102F}\u{1019}\u{1078}\u{100F}\u{102E}",
            unicode: "\u{1000}\u{102F}\u{1019}\u{1039}\u{1015}\u{100F}\u{102E}"),
        Conversion(
            gloss: "goods: stacked ca glyph",
            zawgyi: "\u{1015}\u{1005}\u{1065}\u{100A}\u{1039}\u{1038}",
            unicode: "\u{1015}\u{1005}\u{1039}\u{1005}\u{100A}\u{103A}\u{1038}"),
        Conversion(
            gloss: "on: tall aa with asat glyph",
            zawgyi: "\u{1031}\u{1015}\u{105A}",
            unicode: "\u{1015}\u{1031}\u{102B}\u{103A}"),
        Conversion(
            gloss: "office: short ra glyph, anusvara typed before u",
            zawgyi: "\u{1090}\u{1036}\u{102F}\u{1038}",
            unicode: "\u{101B}\u{102F}\u{1036}\u{1038}"),
        Conversion(
            gloss: "man: asat before medial ya, by convention",
            zawgyi: "\u{1031}\u{101A}\u{102C}\u{1000}\u{1039}\u{103A}\u{102C}\u{1038}",
            unicode: "\u{101A}\u{1031}\u{102C}\u{1000}\u{103A}\u{103B}\u{102C}\u{1038}"),
        Conversion(
            gloss: "Mr Aung: vowel u with ii is one code point",
            zawgyi: "\u{1025}\u{102E}\u{1038}\u{1031}\u{1021}\u{102C}\u{1004}\u{1039}",
            unicode: "\u{1026}\u{1038}\u{1021}\u{1031}\u{102C}\u{1004}\u{103A}"),
        Conversion(
            gloss: "it: digit four for the aforementioned symbol",
            zawgyi: "\u{1044}\u{1004}\u{1039}\u{1038}",
            unicode: "\u{104E}\u{1004}\u{103A}\u{1038}"),
        Conversion(
            gloss: "ministry: digit zero for wa",
            zawgyi: "\u{1040}\u{1014}\u{1039}\u{1080}\u{1000}"
                + "\u{102E}\u{1038}\u{100C}\u{102C}\u{1014}",
            unicode: "\u{101D}\u{1014}\u{103A}\u{1000}\u{103C}"
                + "\u{102E}\u{1038}\u{100C}\u{102C}\u{1014}"),
        Conversion(
            gloss: "village: digit seven for ra",
            zawgyi: "\u{1047}\u{103C}\u{102C}", unicode: "\u{101B}\u{103D}\u{102C}"),
        Conversion(
            gloss: "phone number: digits zero and seven stay digits",
            zawgyi: "\u{1016}\u{102F}\u{1014}\u{1039}\u{1038} "
                + "\u{1040}\u{1049}\u{1047}\u{1048}\u{1041}"
                + "\u{1042}\u{1043}\u{1044}\u{1045}\u{1046}",
            unicode: "\u{1016}\u{102F}\u{1014}\u{103A}\u{1038} "
                + "\u{1040}\u{1049}\u{1047}\u{1048}\u{1041}"
                + "\u{1042}\u{1043}\u{1044}\u{1045}\u{1046}"),
        Conversion(
            gloss: "how long for a visa, mixed with English",
            zawgyi: "Visa \u{101B}\u{1016}\u{102D}\u{102F}\u{1094} \u{1018}\u{101A}\u{1039}"
                + "\u{1031}\u{101C}\u{102C}\u{1000}\u{1039}"
                + "\u{107E}\u{1000}\u{102C}\u{101C}\u{1032}?",
            unicode: "Visa \u{101B}\u{1016}\u{102D}\u{102F}\u{1037} \u{1018}\u{101A}\u{103A}"
                + "\u{101C}\u{1031}\u{102C}\u{1000}\u{103A}"
                + "\u{1000}\u{103C}\u{102C}\u{101C}\u{1032}?"),
        Conversion(
            gloss: "how much salary will I get",
            zawgyi: "\u{101C}\u{1001} \u{1018}\u{101A}\u{1039}"
                + "\u{1031}\u{101C}\u{102C}\u{1000}\u{1039}\u{101B}\u{1019}\u{101C}\u{1032}",
            unicode: "\u{101C}\u{1001} \u{1018}\u{101A}\u{103A}"
                + "\u{101C}\u{1031}\u{102C}\u{1000}\u{103A}\u{101B}\u{1019}\u{101C}\u{1032}"),
    ]

    static let withoutBurmese: [String] = [
        "",
        "How much is a visa to Thailand? 5,000 THB",
        "+66 81 234 5678",
        "ภาษาไทย 2567",
        "passport 🛂 & e-mail a@b.org",
    ]

    @Test("Unicode Burmese is detected as Unicode", arguments: unicode)
    func detectsUnicode(sample: Sample) {
        #expect(Zawgyi.detect(sample.text) == .unicode)
    }

    @Test("Zawgyi Burmese is detected as Zawgyi", arguments: zawgyi)
    func detectsZawgyi(sample: Sample) {
        #expect(Zawgyi.detect(sample.text) == .zawgyi)
    }

    @Test("text without Myanmar characters is neither", arguments: withoutBurmese)
    func detectsNone(text: String) {
        #expect(Zawgyi.detect(text) == .none)
    }

    @Test("English around the Burmese does not change the verdict")
    func englishDoesNotMatter() {
        let zawgyi = "\u{1031}\u{1015}\u{1038}"
        let unicode = "\u{1015}\u{1031}\u{1038}"
        for wrapper in ["Visa %@ 2024", "%@ please", "ok,%@!", "09-%@-123"] {
            let wrap = { (inner: String) in wrapper.replacingOccurrences(of: "%@", with: inner) }
            #expect(Zawgyi.detect(wrap(zawgyi)) == .zawgyi, "\(wrapper)")
            #expect(Zawgyi.detect(wrap(unicode)) == .unicode, "\(wrapper)")
        }
    }

    @Test("Zawgyi converts to the exact Unicode code points", arguments: conversions)
    func converts(_ conversion: Conversion) {
        let converted = Zawgyi.convertToUnicode(conversion.zawgyi)
        #expect(codePoints(converted) == codePoints(conversion.unicode))
    }

    @Test("normalize converts Zawgyi and says so", arguments: conversions)
    func normalizesZawgyi(_ conversion: Conversion) {
        let result = Zawgyi.normalize(conversion.zawgyi)
        #expect(result.wasZawgyi)
        #expect(codePoints(result.text) == codePoints(conversion.unicode))
    }

    /// Spelled with the same code points in both encodings, so nothing tells
    /// them apart; Unicode is the safe reading.
    @Test("text spelled alike in both encodings counts as Unicode", arguments: [
        Sample("please (polite particle)", "\u{1015}\u{102B}"),
        Sample("what", "\u{1018}\u{102C}"),
        Sample("Myanmar digits only", "\u{1041}\u{1042}\u{1043}"),
        Sample("May (the month); ma-le if read as Zawgyi", "\u{1019}\u{1031}\u{101C}"),
        Sample("Mr, as Zawgyi spells it", "\u{1025}\u{102E}\u{1038}"),
    ])
    func ambiguousIsUnicode(sample: Sample) {
        #expect(Zawgyi.detect(sample.text) == .unicode)
        let result = Zawgyi.normalize(sample.text)
        #expect(!result.wasZawgyi)
        #expect(codePoints(result.text) == codePoints(sample.text))
    }

    @Test("the two code points for Mr become the one Unicode has")
    func independentVowelUWithII() {
        let converted = Zawgyi.convertToUnicode("\u{1025}\u{102E}\u{1038}")
        #expect(codePoints(converted) == [0x1026, 0x1038])
    }

    /// Unicode puts Shan letters where Zawgyi has its stacked glyphs.
    @Test("Shan in Unicode is not taken for Zawgyi")
    func shanIsUnicode() {
        let shanLanguage = "\u{1075}\u{1082}\u{1062}\u{1019}"
            + "\u{103A}\u{1038}\u{1010}\u{1086}\u{1038}"
        #expect(Zawgyi.detect(shanLanguage) == .unicode)
    }

    @Test("converted text is detected as Unicode", arguments: conversions)
    func convertedIsUnicode(_ conversion: Conversion) {
        #expect(Zawgyi.detect(conversion.unicode) == .unicode)
    }

    @Test("normalize leaves Unicode text exactly as it was", arguments: unicode)
    func unicodeIsUntouched(sample: Sample) {
        let result = Zawgyi.normalize(sample.text)
        #expect(!result.wasZawgyi)
        #expect(codePoints(result.text) == codePoints(sample.text))
    }

    @Test("normalize is idempotent on Zawgyi input", arguments: zawgyi)
    func normalizeTwice(sample: Sample) {
        let once = Zawgyi.normalize(sample.text)
        let twice = Zawgyi.normalize(once.text)
        #expect(once.wasZawgyi)
        #expect(!twice.wasZawgyi)
        #expect(codePoints(twice.text) == codePoints(once.text))
    }

    /// Strings broken in both encodings, as a fuzzer found them: each reads
    /// as Zawgyi, and its conversion did too, so a second pass changed it
    /// again.
    @Test("normalize is idempotent on text broken in both encodings", arguments: [
        [0x103A, 0x1038, 0x1010, 0x1086, 0x1038],
        [0x103B, 0x1031, 0x1039, 0x1000],
        [0x1031, 0x103B, 0x1038, 0x1038, 0x102D],
    ] as [[UInt32]])
    func normalizeBrokenTwice(scalars: [UInt32]) {
        let text = String(String.UnicodeScalarView(scalars.compactMap(Unicode.Scalar.init)))
        let once = Zawgyi.normalize(text)
        let twice = Zawgyi.normalize(once.text)
        #expect(codePoints(twice.text) == codePoints(once.text))
        #expect(!twice.wasZawgyi)
        if once.wasZawgyi { #expect(Zawgyi.detect(once.text) != .zawgyi) }
    }

    @Test("normalize never changes text without Myanmar characters", arguments: withoutBurmese)
    func nonBurmeseIsUntouched(text: String) {
        let result = Zawgyi.normalize(text)
        #expect(!result.wasZawgyi)
        #expect(codePoints(result.text) == codePoints(text))
    }
}
