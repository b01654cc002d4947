extension Zawgyi {
    /// How badly a string reads as Unicode and as Zawgyi.
    ///
    /// Each reading walks the text syllable by syllable. A sequence the
    /// encoding cannot produce (a sign with no consonant, signs out of
    /// storage order, a code point the encoding does not use) costs
    /// `impossible`; one it can produce but Burmese spelling avoids (medial
    /// ra under ta, a stack across rows, a visarga on a bare consonant) costs
    /// `unlikely`. Both encodings agree on consonants, most vowels, digits and
    /// punctuation, so most of the text costs nothing either way.
    struct Evidence {
        static let impossible = 3
        static let unlikely = 1

        let unicodePenalty: Int
        let zawgyiPenalty: Int

        init(_ scalars: [UInt32]) {
            let letters = scalars.indices.map {
                Scalar.lookalikeLetter(at: $0, in: scalars) ?? scalars[$0]
            }
            unicodePenalty = Self.penaltyAsUnicode(letters)
            zawgyiPenalty = Self.penaltyAsZawgyi(letters)
        }

        /// Unicode storage order after the consonant: medials ya, ra, wa,
        /// ha, vowel E, the other vowels and anusvara (upper and lower
        /// vowels in either order, as keyboards differ), aa, then dot below
        /// and asat in either order, then visarga.
        private static func unicodeRank(_ value: UInt32) -> Int? {
            switch value {
            case 0x103B: return 2
            case 0x103C: return 3
            case 0x103D: return 4
            case 0x103E: return 5
            case 0x1031: return 6
            case 0x102D...0x1030, 0x1032, 0x1036: return 7
            case 0x102B, 0x102C: return 8
            case 0x1037, 0x103A: return 9
            case 0x1038: return 10
            default: return nil
            }
        }

        private static func penaltyAsUnicode(_ scalars: [UInt32]) -> Int {
            var penalty = 0
            var syllable = UnicodeSyllable()
            var index = 0
            while index < scalars.count {
                let value = scalars[index]
                let next = index + 1 < scalars.count ? scalars[index + 1] : nil
                if Scalar.isConsonant(value) || Scalar.isIndependentVowel(value) {
                    syllable = UnicodeSyllable(base: value)
                } else if value == 0x1039 {
                    guard let next, Scalar.isConsonant(next) else {
                        penalty += impossible
                        index += 1
                        continue
                    }
                    let isKinzi = index >= 2 && scalars[index - 1] == 0x103A
                        && scalars[index - 2] == 0x1004
                    if isKinzi {
                        syllable = UnicodeSyllable(base: next)
                    } else if let upper = syllable.lastConsonant, syllable.rank <= 1 {
                        if !Scalar.isPlausibleStack(upper: upper, lower: next) {
                            penalty += unlikely
                        }
                        syllable.lastConsonant = next
                        syllable.rank = 1
                    } else {
                        penalty += impossible
                    }
                    index += 2
                    continue
                } else if let rank = unicodeRank(value) {
                    let previous = index > 0 ? scalars[index - 1] : 0
                    penalty += syllable.cost(of: value, rank: rank, previous: previous, next: next)
                } else if Scalar.isZawgyiOnly(value) {
                    // Unicode has Shan, Mon and Karen letters and signs here,
                    // so this is no proof of Zawgyi; whether they sit where
                    // Zawgyi glyphs would is the Zawgyi reading's business.
                    penalty += unlikely
                    syllable = UnicodeSyllable.foreign
                } else {
                    syllable = UnicodeSyllable()
                }
                index += 1
            }
            return penalty
        }

        private static func penaltyAsZawgyi(_ scalars: [UInt32]) -> Int {
            var penalty = 0
            var syllable = ZawgyiSyllable()
            for (index, value) in scalars.enumerated() {
                let next = index + 1 < scalars.count ? scalars[index + 1] : nil
                switch Scalar.zawgyiRole(value) {
                case .preBase:
                    if value == 0x1031 {
                        if syllable.pendingE { penalty += unlikely }
                        syllable.pendingE = true
                    } else {
                        syllable.pendingRa = true
                    }
                case .base:
                    let consonant = Scalar.zawgyiConsonant(value)
                    if syllable.pendingRa && !Scalar.takesMedialRa(consonant) {
                        penalty += unlikely
                    }
                    syllable.open(consonant: consonant)
                case .dependent where syllable.hasPending:
                    // E or medial ra with no consonant after it.
                    penalty += impossible
                    syllable = ZawgyiSyllable()
                case .dependent:
                    penalty += syllable.cost(of: value, next: next)
                case .unicodeOnly:
                    penalty += impossible
                case .other:
                    if syllable.hasPending { penalty += impossible }
                    syllable = ZawgyiSyllable()
                }
            }
            if syllable.hasPending { penalty += impossible }
            return penalty
        }
    }

    /// The syllable a Unicode reading is in, for checking the next sign.
    private struct UnicodeSyllable {
        var isOpen = false
        var isConsonant = false
        /// The consonant medials attach to: the base or the last stacked one.
        var lastConsonant: UInt32?
        var rank = 0
        var hasVowel = false
        /// In a syllable of another language of the script, signs are
        /// unusual for Burmese but not impossible.
        var isForeign = false

        init() {}

        static var foreign: UnicodeSyllable {
            var syllable = UnicodeSyllable()
            syllable.isOpen = true
            syllable.isForeign = true
            return syllable
        }

        init(base: UInt32) {
            isOpen = true
            isConsonant = Scalar.isConsonant(base)
            lastConsonant = isConsonant ? base : nil
        }

        mutating func cost(of value: UInt32, rank: Int, previous: UInt32, next: UInt32?) -> Int {
            guard isOpen else { return Evidence.impossible }
            guard !isForeign else { return Evidence.unlikely }
            defer { self.rank = max(self.rank, rank) }
            // ကျွန်ုပ် and ယောက်ျား keep the asat early, by long convention.
            let isConventional = previous == 0x103A && (value == 0x102F || value == 0x103B)
            if rank < self.rank && !isConventional { return Evidence.impossible }
            switch value {
            case 0x103B:
                return Scalar.takesMedialYa(lastConsonant) ? 0 : Evidence.unlikely
            case 0x103C:
                return Scalar.takesMedialRa(lastConsonant) ? 0 : Evidence.unlikely
            case 0x103E:
                return Scalar.takesMedialHa(lastConsonant) ? 0 : Evidence.unlikely
            case 0x103D:
                return 0
            case 0x1037 where next == 0x103A, 0x103A:
                hasVowel = true
                return 0
            case 0x1037, 0x1038:
                // Dot below and visarga mark the tone of a written vowel.
                return !hasVowel && isConsonant ? Evidence.unlikely : 0
            default:
                hasVowel = true
                return 0
            }
        }
    }

    /// The syllable a Zawgyi reading is in, for checking the next sign.
    private struct ZawgyiSyllable {
        var pendingE = false
        var pendingRa = false
        var isOpen = false
        var consonant: UInt32?
        var hasVowel = false
        /// A vowel sign, tone mark or asat has been typed; medials come
        /// before all of them.
        var hasSign = false

        var hasPending: Bool { pendingE || pendingRa }

        mutating func open(consonant: UInt32?) {
            isOpen = true
            self.consonant = consonant
            hasVowel = pendingE
            hasSign = false
            pendingE = false
            pendingRa = false
        }

        mutating func cost(of value: UInt32, next: UInt32?) -> Int {
            guard isOpen else { return Evidence.impossible }
            switch value {
            case 0x103A, 0x107D:
                if hasSign { return Evidence.impossible }
                return Scalar.takesMedialYa(consonant) ? 0 : Evidence.unlikely
            case 0x103D, 0x1087, 0x108A:
                return Scalar.takesMedialHa(consonant) ? 0 : Evidence.unlikely
            case 0x1088, 0x1089:
                hasVowel = true
                return Scalar.takesMedialHa(consonant) ? 0 : Evidence.unlikely
            case 0x103C, 0x1060...0x1069, 0x106C, 0x106D, 0x1070...0x107C, 0x1085, 0x1093,
                0x1096, 0x1064:
                // Medial wa, stacked consonants and kinzi go anywhere.
                return 0
            case 0x1037, 0x1094, 0x1095, 0x1038:
                defer { hasSign = true }
                let closesWithAsat = next == 0x1039
                return !hasVowel && !closesWithAsat && consonant != nil ? Evidence.unlikely : 0
            default:
                hasVowel = true
                hasSign = true
                return 0
            }
        }
    }
}
