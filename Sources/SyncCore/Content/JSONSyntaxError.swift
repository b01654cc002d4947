import Foundation

/// Where JSON that Foundation refuses goes wrong, in the words an editor
/// needs: line and column, and what is wrong there.
///
/// `JSONDecoder` only says that the data is not valid JSON. The older
/// `JSONSerialization` parser names the byte it stopped at ("around
/// character 812"), which is turned into a line and a column here. Columns
/// count code points, as most editors do, so a line of Burmese is not
/// counted in bytes.
enum JSONSyntaxError {
    /// A description such as `line 12, column 5: invalid value`, or nil
    /// when the data parses.
    static func describe(_ data: Data) -> String? {
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return nil
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? ""
            if detail.lowercased().contains("end of file") {
                return "the file ends in the middle of the data; a closing bracket or quotation "
                    + "mark is missing, or the file was not copied completely"
            }
            if detail.hasPrefix("Invalid UTF-8"), let offset = firstInvalidUTF8(in: data) {
                let (line, column) = position(of: offset, in: data)
                return "line \(line), column \(column): not UTF-8 text; save the file as UTF-8"
            }
            guard let offset = characterOffset(in: detail) else {
                return detail.isEmpty ? "not valid JSON" : "not valid JSON (\(detail))"
            }
            let what = detail.range(of: " around character").map {
                String(detail[..<$0.lowerBound]).lowercased()
            } ?? "invalid JSON"
            let (line, column) = position(of: min(offset, data.count), in: data)
            return "line \(line), column \(column): \(what)"
        }
    }

    /// The number in "around character N".
    private static func characterOffset(in detail: String) -> Int? {
        guard let range = detail.range(of: "around character ") else { return nil }
        let digits = detail[range.upperBound...].prefix { $0.isNumber }
        return Int(digits)
    }

    /// The 1-based line and column (in code points) of byte `offset`.
    private static func position(of offset: Int, in data: Data) -> (line: Int, column: Int) {
        let bytes = [UInt8](data.prefix(offset))
        let lineStart = (bytes.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
        let line = bytes.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        // Continuation bytes (10xxxxxx) belong to the code point before them.
        let column = bytes[lineStart...].filter { $0 & 0xC0 != 0x80 }.count + 1
        return (line, column)
    }

    /// The offset of the first byte that does not start or continue a valid
    /// UTF-8 sequence.
    private static func firstInvalidUTF8(in data: Data) -> Int? {
        let bytes = [UInt8](data)
        var index = 0
        while index < bytes.count {
            let length = validUTF8Length(bytes, from: index)
            guard length > 0 else { return index }
            index += length
        }
        return nil
    }

    /// How many bytes the valid UTF-8 sequence at `start` has, or 0.
    private static func validUTF8Length(_ bytes: [UInt8], from start: Int) -> Int {
        let end = min(bytes.count, start + 4)
        for length in 1...max(1, end - start) {
            if String(validating: bytes[start..<(start + length)], as: UTF8.self) != nil {
                return length
            }
        }
        return 0
    }
}
