import Foundation

/// Checks the parts of JSON that Foundation's parser forgives: a key given
/// twice in one object (the parser keeps one silently, so an editor who
/// wrote `"status"` twice may publish the value they did not mean) and
/// commas before a closing bracket. Problems are reported with line and
/// column, which Foundation's errors do not give.
///
/// It only walks the structure: strings are skipped with their escapes,
/// other values are left to the parser that runs afterwards.
struct StrictJSONCheck {
    struct Problem: Error, Equatable {
        let line: Int
        let column: Int
        let message: String

        var description: String { "line \(line), column \(column): \(message)" }
    }

    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var lineStart = 0

    /// The first problem in `data`, or nil when it has none of these.
    static func firstProblem(in data: Data) -> Problem? {
        var check = StrictJSONCheck(bytes: [UInt8](data))
        do {
            try check.walk()
            return nil
        } catch let problem as Problem {
            return problem
        } catch {
            return nil
        }
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private mutating func walk() throws {
        // Containers still open, each with the keys seen so far if it is an
        // object, and whether the last token was a comma.
        var stack = [(isObject: Bool, keys: Set<String>, afterComma: Bool)]()
        var expectingKey = false
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\n"):
                index += 1
                line += 1
                lineStart = index
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                // The container is the value that follows the comma.
                if !stack.isEmpty { stack[stack.count - 1].afterComma = false }
                stack.append((byte == UInt8(ascii: "{"), [], false))
                expectingKey = byte == UInt8(ascii: "{")
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard let top = stack.last else {
                    throw problem("a closing bracket with nothing open before it")
                }
                if top.afterComma {
                    throw problem("a comma before the closing bracket; remove it")
                }
                stack.removeLast()
                expectingKey = false
            case UInt8(ascii: ","):
                if !stack.isEmpty {
                    stack[stack.count - 1].afterComma = true
                    expectingKey = stack[stack.count - 1].isObject
                }
            case UInt8(ascii: "\""):
                let start = (line, index - lineStart + 1)
                let text = try readString()
                if expectingKey, !stack.isEmpty {
                    if stack[stack.count - 1].keys.contains(text) {
                        throw Problem(
                            line: start.0, column: start.1,
                            message: "the field \"\(text)\" appears twice in one record; "
                                + "keep only the one that is meant")
                    }
                    stack[stack.count - 1].keys.insert(text)
                    expectingKey = false
                }
                if !stack.isEmpty { stack[stack.count - 1].afterComma = false }
                continue
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: ":"):
                break
            default:
                if !stack.isEmpty { stack[stack.count - 1].afterComma = false }
            }
            index += 1
        }
    }

    /// Reads a string starting at the opening quote and returns its raw
    /// text, escapes resolved only as far as needed to compare keys.
    private mutating func readString() throws -> String {
        let start = index
        index += 1
        var raw = [UInt8]()
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                let text = String(decoding: raw, as: UTF8.self)
                // Decode escapes the same way the parser will, so that
                // "a" and "\u0061" count as the same key.
                let quoted = Data([UInt8(ascii: "\"")] + raw + [UInt8(ascii: "\"")])
                return (try? JSONDecoder().decode(String.self, from: quoted)) ?? text
            }
            if byte == UInt8(ascii: "\\"), index + 1 < bytes.count {
                raw.append(byte)
                raw.append(bytes[index + 1])
                index += 2
                continue
            }
            if byte == UInt8(ascii: "\n") {
                index = start
                throw problem("a text is not closed with \" before the end of the line")
            }
            raw.append(byte)
            index += 1
        }
        index = start
        throw problem("a text is not closed with \"")
    }

    private func problem(_ message: String) -> Problem {
        Problem(line: line, column: index - lineStart + 1, message: message)
    }
}
