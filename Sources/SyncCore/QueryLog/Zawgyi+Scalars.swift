extension Zawgyi {
    /// What a Myanmar code point does in a Zawgyi syllable.
    enum ZawgyiRole {
        /// Drawn, and so typed, before its consonant: the vowel sign E and
        /// the medial ra glyphs.
        case preBase
        /// A consonant or independent vowel that opens a syllable.
        case base
        /// A sign typed after its consonant.
        case dependent
        /// Medial ha at U+103E exists only in Unicode.
        case unicodeOnly
        /// Digits, punctuation, anything outside a syllable.
        case other
    }

    /// Classes of code points that the two readings share or that tell them
    /// apart. Values are code points as `UInt32`.
    enum Scalar {
        static func isMyanmar(_ value: UInt32) -> Bool {
            (0x1000...0x109F).contains(value) || (0xA9E0...0xA9FF).contains(value)
                || (0xAA60...0xAA7F).contains(value)
        }

        /// Consonant letters, the same code points in both encodings.
        static func isConsonant(_ value: UInt32) -> Bool {
            (0x1000...0x1021).contains(value) || value == 0x103F
        }

        static func isIndependentVowel(_ value: UInt32) -> Bool {
            (0x1023...0x102A).contains(value)
        }

        static func isDigit(_ value: UInt32) -> Bool {
            (0x1040...0x1049).contains(value) || (0x30...0x39).contains(value)
        }

        /// Zawgyi's pre-shaped glyphs; in Unicode these are Mon, Shan and
        /// Karen letters that Burmese text does not use.
        static func isZawgyiOnly(_ value: UInt32) -> Bool {
            value == 0x1033 || value == 0x1034 || value == 0x105A
                || (0x1060...0x1097).contains(value)
        }

        static func zawgyiRole(_ value: UInt32) -> ZawgyiRole {
            switch value {
            case 0x1031, 0x103B, 0x107E...0x1084:
                return .preBase
            case 0x1000...0x1021, 0x1023...0x102A, 0x103F, 0x106A, 0x106B, 0x106E, 0x106F,
                0x1086, 0x108F...0x1092, 0x1097:
                return .base
            case 0x102B...0x1030, 0x1032...0x103A, 0x103C, 0x103D, 0x105A, 0x1060...0x1069,
                0x106C, 0x106D, 0x1070...0x107D, 0x1085, 0x1087...0x108E, 0x1093...0x1096:
                return .dependent
            case 0x103E:
                return .unicodeOnly
            default:
                return .other
            }
        }

        /// The consonant a Zawgyi base glyph stands for, for checking which
        /// medials it takes; nil for independent vowels.
        static func zawgyiConsonant(_ value: UInt32) -> UInt32? {
            switch value {
            case 0x106A: return 0x1009
            case 0x106B: return 0x100A
            case 0x106E, 0x106F: return 0x100D
            case 0x1086: return 0x103F
            case 0x108F: return 0x1014
            case 0x1090: return 0x101B
            case 0x1091: return 0x100F
            case 0x1092, 0x1097: return 0x100B
            default: return isConsonant(value) ? value : nil
            }
        }

        /// Medial ya follows velar and labial stops and nasals, and la.
        static func takesMedialYa(_ consonant: UInt32?) -> Bool {
            guard let consonant else { return false }
            return (0x1000...0x1003).contains(consonant) || (0x1015...0x1019).contains(consonant)
                || consonant == 0x101C
        }

        /// Medial ra follows velar and labial stops and ma. Pali loans put it
        /// under ta and sa too, but rarely enough to count as unusual.
        static func takesMedialRa(_ consonant: UInt32?) -> Bool {
            guard let consonant else { return false }
            return (0x1000...0x1003).contains(consonant) || (0x1015...0x1019).contains(consonant)
        }

        /// Medial ha devoices sonorants: the nasals, ya, ra, la, wa.
        static func takesMedialHa(_ consonant: UInt32?) -> Bool {
            guard let consonant else { return false }
            switch consonant {
            case 0x1004, 0x1009, 0x100A, 0x100F, 0x1014, 0x1019, 0x101A...0x101D, 0x1020:
                return true
            default:
                return false
            }
        }

        /// Pali spelling stacks a consonant under one of its own row
        /// (velar, palatal, retroflex, dental, labial) or under itself.
        static func isPlausibleStack(upper: UInt32, lower: UInt32) -> Bool {
            if upper == lower { return true }
            guard (0x1000...0x1019).contains(upper), (0x1000...0x1019).contains(lower)
            else { return false }
            return row(upper) == row(lower)
        }

        private static func row(_ consonant: UInt32) -> Int {
            switch consonant {
            case 0x1000...0x1004: return 0
            case 0x1005...0x100A: return 1
            case 0x100B...0x100F: return 2
            case 0x1010...0x1014: return 3
            default: return 4
            }
        }

        /// The letter a digit stands for when it was typed in that letter's
        /// place, as both keyboards invite: zero for wa, seven for ra, four
        /// for the aforementioned symbol in ၎င်း. nil when it is a digit.
        ///
        /// A digit next to another digit is always a digit, so phone numbers
        /// and dates survive; otherwise it is a letter when signs follow it
        /// or it sits between letters.
        static func lookalikeLetter(at index: Int, in scalars: [UInt32]) -> UInt32? {
            let letter: UInt32
            switch scalars[index] {
            case 0x1040: letter = 0x101D
            case 0x1047: letter = 0x101B
            case 0x1044: letter = 0x104E
            default: return nil
            }
            let previous = index > 0 ? scalars[index - 1] : nil
            let next = index + 1 < scalars.count ? scalars[index + 1] : nil
            let afterNext = index + 2 < scalars.count ? scalars[index + 2] : nil
            if previous.map(isDigit) == true || next.map(isDigit) == true { return nil }
            let nextClosesSyllable =
                next.map(isConsonant) == true && (afterNext == 0x1039 || afterNext == 0x103A)
            if letter == 0x104E {
                return next == 0x1004 && nextClosesSyllable ? letter : nil
            }
            if let next, isSign(next) || nextClosesSyllable { return letter }
            if let previous, zawgyiRole(previous) == .preBase { return letter }
            if let previous, let next, isLetterOrSign(previous), isLetterOrSign(next) {
                return letter
            }
            return nil
        }

        /// A sign that must follow a letter in either encoding.
        private static func isSign(_ value: UInt32) -> Bool {
            switch value {
            case 0x102B...0x1030, 0x1032...0x103E: return true
            default: return zawgyiRole(value) == .dependent
            }
        }

        private static func isLetterOrSign(_ value: UInt32) -> Bool {
            isConsonant(value) || isIndependentVowel(value) || value == 0x1031 || isSign(value)
        }
    }
}
