extension Zawgyi {
    /// Where a piece of a syllable goes in Unicode's storage order.
    enum Slot: Int, Comparable {
        case kinzi, base, stack
        /// An asat that belongs before a medial or vowel; see `isEarlyAsat`.
        case earlyAsat
        case medialYa, medialRa, medialWa, medialHa
        case vowelE, vowelAbove, vowelBelow, vowelAa, anusvara, dotBelow, asat, visarga

        static func < (lhs: Slot, rhs: Slot) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// Unicode code points standing for (part of) one Zawgyi code point.
    struct Piece: Equatable {
        var slot: Slot
        var scalars: [UInt32]

        init(_ slot: Slot, _ scalars: UInt32...) {
            self.slot = slot
            self.scalars = scalars
        }
    }

    /// The Unicode pieces a Zawgyi code point stands for; nil for code
    /// points outside a syllable, which are kept as they are.
    static func pieces(forZawgyi value: UInt32) -> [Piece]? {
        let kinzi = Piece(.kinzi, 0x1004, 0x103A, 0x1039)
        switch value {
        case 0x1000...0x1021, 0x1023...0x102A: return [Piece(.base, value)]
        case 0x103F, 0x1086: return [Piece(.base, 0x103F)]
        case 0x106A: return [Piece(.base, 0x1009)]
        case 0x106B: return [Piece(.base, 0x100A)]
        case 0x108F: return [Piece(.base, 0x1014)]
        case 0x1090: return [Piece(.base, 0x101B)]
        // Ligatures of a consonant with another stacked under it.
        case 0x106E: return [Piece(.base, 0x100D), Piece(.stack, 0x1039, 0x100D)]
        case 0x106F: return [Piece(.base, 0x100D), Piece(.stack, 0x1039, 0x100E)]
        case 0x1091: return [Piece(.base, 0x100F), Piece(.stack, 0x1039, 0x100D)]
        case 0x1092: return [Piece(.base, 0x100B), Piece(.stack, 0x1039, 0x100C)]
        case 0x1097: return [Piece(.base, 0x100B), Piece(.stack, 0x1039, 0x100B)]

        case 0x1031: return [Piece(.vowelE, 0x1031)]
        case 0x103B, 0x107E...0x1084: return [Piece(.medialRa, 0x103C)]
        case 0x103A, 0x107D: return [Piece(.medialYa, 0x103B)]
        case 0x103C: return [Piece(.medialWa, 0x103D)]
        case 0x103D, 0x103E, 0x1087: return [Piece(.medialHa, 0x103E)]
        case 0x1088: return [Piece(.medialHa, 0x103E), Piece(.vowelBelow, 0x102F)]
        case 0x1089: return [Piece(.medialHa, 0x103E), Piece(.vowelBelow, 0x1030)]
        case 0x108A: return [Piece(.medialWa, 0x103D), Piece(.medialHa, 0x103E)]

        case 0x102D, 0x102E, 0x1032: return [Piece(.vowelAbove, value)]
        case 0x108E: return [Piece(.vowelAbove, 0x102D), Piece(.anusvara, 0x1036)]
        case 0x102F, 0x1030: return [Piece(.vowelBelow, value)]
        case 0x1033: return [Piece(.vowelBelow, 0x102F)]
        case 0x1034: return [Piece(.vowelBelow, 0x1030)]
        case 0x102B, 0x102C: return [Piece(.vowelAa, value)]
        case 0x105A: return [Piece(.vowelAa, 0x102B), Piece(.asat, 0x103A)]
        case 0x1036: return [Piece(.anusvara, 0x1036)]
        case 0x1037, 0x1094, 0x1095: return [Piece(.dotBelow, 0x1037)]
        case 0x1038: return [Piece(.visarga, 0x1038)]
        // Zawgyi draws its virama as a visible killer: Unicode's asat.
        case 0x1039: return [Piece(.asat, 0x103A)]

        case 0x1064: return [kinzi]
        case 0x108B: return [kinzi, Piece(.vowelAbove, 0x102D)]
        case 0x108C: return [kinzi, Piece(.vowelAbove, 0x102E)]
        case 0x108D: return [kinzi, Piece(.anusvara, 0x1036)]
        case 0x1096: return [Piece(.stack, 0x1039, 0x1010), Piece(.medialWa, 0x103D)]
        default:
            return stackedConsonant(value).map { [Piece(.stack, 0x1039, $0)] }
        }
    }

    /// The consonant a Zawgyi subscript glyph draws under another.
    private static func stackedConsonant(_ value: UInt32) -> UInt32? {
        switch value {
        case 0x1060...0x1063: return value - 0x1060 + 0x1000
        case 0x1065: return 0x1005
        case 0x1066, 0x1067: return 0x1006
        case 0x1068: return 0x1007
        case 0x1069: return 0x1008
        case 0x106C: return 0x100B
        case 0x106D: return 0x100C
        case 0x1070: return 0x100F
        case 0x1071, 0x1072: return 0x1010
        case 0x1073, 0x1074: return 0x1011
        case 0x1075...0x107C: return value - 0x1075 + 0x1012
        case 0x1085: return 0x101C
        case 0x1093: return 0x1018
        default: return nil
        }
    }

    /// Rebuilds each syllable in Unicode order: the pre-base E and medial
    /// ra move after their consonant, kinzi moves before it, and the signs
    /// are sorted by slot.
    static func convert(_ input: [UInt32]) -> [UInt32] {
        var output: [UInt32] = []
        var pending: [Piece] = []
        var syllable: [Piece] = []

        func finishSyllable() {
            output += unicodeOrder(syllable)
            syllable = []
        }
        func emitUnattached(_ pieces: [Piece]) {
            output += pieces.flatMap(\.scalars)
        }

        for index in input.indices {
            let value = Scalar.lookalikeLetter(at: index, in: input) ?? input[index]
            guard let pieces = pieces(forZawgyi: value) else {
                finishSyllable()
                emitUnattached(pending)
                pending = []
                output.append(value)
                continue
            }
            switch pieces[0].slot {
            case .vowelE, .medialRa:
                pending += pieces
            case .base:
                finishSyllable()
                syllable = pending + pieces
                pending = []
            default:
                if syllable.isEmpty || !pending.isEmpty {
                    finishSyllable()
                    emitUnattached(pending + pieces)
                    pending = []
                } else {
                    syllable += pieces
                }
            }
        }
        finishSyllable()
        emitUnattached(pending)
        return output
    }

    /// One syllable's pieces in Unicode storage order, repeats dropped.
    private static func unicodeOrder(_ typed: [Piece]) -> [UInt32] {
        var pieces: [Piece] = []
        for piece in typed where !pieces.contains(piece) {
            pieces.append(piece)
        }
        if let asat = pieces.firstIndex(where: { $0.slot == .asat }),
            isEarlyAsat(asat, in: pieces)
        {
            pieces[asat].slot = .earlyAsat
        }
        fixIndependentU(&pieces)
        // Sorted by slot, keeping typing order within a slot.
        let ordered = pieces.enumerated().sorted {
            ($0.element.slot, $0.offset) < ($1.element.slot, $1.offset)
        }
        return ordered.flatMap(\.element.scalars)
    }

    /// Two spellings keep an asat on the consonant itself before a sign that
    /// Unicode otherwise orders first: ကျွန်ုပ်, where it was typed before the
    /// vowel u, and ယောက်ျား, the one word with medial ya after a final.
    /// Otherwise an asat in a syllable with medial ya closes the vowel ော်.
    private static func isEarlyAsat(_ asat: Int, in pieces: [Piece]) -> Bool {
        if let below = pieces.firstIndex(where: { $0.slot == .vowelBelow }), asat < below {
            return true
        }
        return pieces.contains { $0.slot == .medialYa } && !pieces.contains { $0.slot == .vowelE }
    }

    /// Zawgyi has one glyph for the vowel ဥ and the consonant ဉ, and
    /// spells ဦ as ဥ with vowel sign ii; Unicode has a code point for each.
    private static func fixIndependentU(_ pieces: inout [Piece]) {
        guard let base = pieces.firstIndex(where: { $0.slot == .base }),
            pieces[base].scalars == [0x1025]
        else { return }
        if pieces.contains(where: { $0.slot == .asat || $0.slot == .earlyAsat }) {
            pieces[base].scalars = [0x1009]
        } else if let ii = pieces.firstIndex(of: Piece(.vowelAbove, 0x102E)) {
            pieces[base].scalars = [0x1026]
            pieces.remove(at: ii)
        }
    }
}
