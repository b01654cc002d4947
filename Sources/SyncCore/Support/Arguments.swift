/// A small command-line parser for the two tools: positional arguments,
/// options that take a value (`--repo DIR` or `--repo=DIR`) and flags.
public struct Arguments: Sendable {
    public private(set) var positional: [String] = []
    private var values: [String: String] = [:]
    private var flags: Set<String> = []

    /// - Throws: `SyncError(.usage)` for an unknown option or a missing value.
    public init(_ arguments: [String], options: Set<String>, flags allowedFlags: Set<String>) throws {
        var iterator = arguments.makeIterator()
        var onlyPositional = false
        while let argument = iterator.next() {
            if onlyPositional || !argument.hasPrefix("--") || argument == "-" {
                positional.append(argument)
                continue
            }
            if argument == "--" {
                onlyPositional = true
                continue
            }
            var name = argument
            var inlineValue: String?
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inlineValue = String(argument[argument.index(after: equals)...])
            }
            if options.contains(name) {
                guard let value = inlineValue ?? iterator.next() else {
                    throw SyncError(.usage, "\(name) needs a value.")
                }
                values[name] = value
            } else if allowedFlags.contains(name) && inlineValue == nil {
                flags.insert(name)
            } else {
                throw SyncError(.usage, "Unknown option \(argument).")
            }
        }
    }

    public func value(_ name: String) -> String? {
        values[name]
    }

    public func required(_ name: String, for command: String) throws -> String {
        guard let value = values[name] else {
            throw SyncError(.usage, "\(command) needs \(name).")
        }
        return value
    }

    public func has(_ flag: String) -> Bool {
        flags.contains(flag)
    }
}
