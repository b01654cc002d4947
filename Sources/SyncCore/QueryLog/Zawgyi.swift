/// The encoding of the Burmese text in a string.
public enum BurmeseEncoding: String, Sendable {
    /// Standard Unicode Burmese, in Unicode's storage order.
    case unicode
    /// Zawgyi: Myanmar code points as the Zawgyi-One font draws them.
    case zawgyi
    /// The string holds no Myanmar characters.
    case none
}

/// Detection of Zawgyi-encoded Burmese and its conversion to Unicode.
///
/// Zawgyi is a font, not a registered encoding: it reuses the Myanmar block
/// (U+1000–U+109F) with other meanings for some code points, stores a
/// syllable in the order it is drawn (the vowel sign E and medial ra before
/// their consonant) and puts pre-shaped glyphs for stacked consonants and
/// medial forms where Unicode has Shan, Karen and Mon letters. Most visitors'
/// phones in Myanmar typed Zawgyi for years, so queries arrive in both.
///
/// Detection reads the text both ways and counts what each reading makes
/// impossible or unusual in Burmese spelling; the reading with fewer
/// problems wins, and a tie is Unicode, so that text valid under both is
/// never rewritten.
///
/// ```swift
/// let (text, wasZawgyi) = Zawgyi.normalize(query)
/// ```
public enum Zawgyi {
    /// Which encoding the Myanmar text in `text` is in.
    ///
    /// Characters outside the Myanmar block are ignored except as word
    /// boundaries; text without any Myanmar character is `.none`.
    public static func detect(_ text: String) -> BurmeseEncoding {
        let scalars = text.unicodeScalars.map(\.value)
        guard scalars.contains(where: Scalar.isMyanmar) else { return .none }
        let evidence = Evidence(scalars)
        return evidence.zawgyiPenalty < evidence.unicodePenalty ? .zawgyi : .unicode
    }

    /// Standard Unicode Burmese for Zawgyi text; callers only pass text that
    /// `detect(_:)` called `.zawgyi`.
    ///
    /// Characters outside the Myanmar block are kept as they are. Unicode
    /// text passed in by mistake is not left alone: its medials would be
    /// reinterpreted as Zawgyi ones.
    public static func convertToUnicode(_ text: String) -> String {
        let converted = convert(text.unicodeScalars.map(\.value))
        var view = String.UnicodeScalarView()
        view.append(contentsOf: converted.compactMap(Unicode.Scalar.init))
        return String(view)
    }

    /// Detects the encoding and converts Zawgyi text.
    ///
    /// A conversion is kept only when its result reads as Unicode. Text
    /// that is broken in both encodings (stray signs with no consonant, say)
    /// can score as Zawgyi and still convert into something that does too;
    /// such text is kept as typed rather than rewritten into another
    /// string that is no better. So `normalize` is idempotent: its output
    /// never converts again.
    ///
    /// - Returns: the text in Unicode, and whether it arrived as Zawgyi.
    ///   Unicode text and text without Myanmar characters come back
    ///   unchanged.
    public static func normalize(_ text: String) -> (text: String, wasZawgyi: Bool) {
        guard detect(text) == .zawgyi else { return (text, false) }
        let converted = convertToUnicode(text)
        guard detect(converted) != .zawgyi else { return (text, false) }
        return (converted, true)
    }
}
