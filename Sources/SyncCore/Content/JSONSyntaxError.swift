import Foundation

/// Where JSON that Foundation refuses goes wrong, in the words an editor
/// needs: line and column, and what is wrong there.
///
/// `JSONDecoder` only says that the data is not valid JSON. The older
/// `JSONSerialization` parser names the byte it stopped at ("around
/// character 812"), which is turned into a line and a column here.
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

    /// The 1-based line and column (in characters) of byte `offset`.
    private static func position(of offset: Int, in data: Data) -> (line: Int, column: Int) {
        let bytes = [UInt8](data.prefix(offset))
        let lineStart = (bytes.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
        let line = bytes.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        let column = String(decoding: bytes[lineStart...], as: UTF8.self).count + 1
        return (line, column)
    }
}
