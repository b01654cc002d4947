import Foundation
import SyncCore

let usage = """
    Usage: mrc-syncd [--config FILE] COMMAND

    Keeps this centre's copy of the migration information up to date.

    Commands:
      status [--json]   Show which content this centre has and what needs attention.
      import PATH       Install content bundles from a USB stick, a folder or a file.
      sync              Fetch and install new content over the network once, now.
      run               Keep the content up to date over the network (the service).
      verify            Check that the local content is intact.
      search [--lang my|en] [--no-log] TEXT
                        Find articles, contacts and agencies; the search is
                        recorded as a visitor question unless --no-log.
      log-query [--lang L] [--topic T] [--channel desk|kiosk|phone] TEXT
                        Record a visitor's question (personal details removed).
      export-queries PATH
                        Write the sealed visitor questions onto a USB stick.
      serve-queries [--socket PATH]
                        Take visitor questions from kiosks on this PC over a
                        Unix socket (default: queries.sock in the state folder).
      usb-paths         Print the folders USB sticks are looked for under, one
                        a line (for the USB helper).
      help              Show this text.

    Options:
      --config FILE     The configuration file (default \(Configuration.defaultPath)).
      --verbose         Print every step to standard error.

    """

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    let parsed = try Arguments(
        arguments, options: ["--config", "--lang", "--topic", "--channel", "--socket"],
        flags: ["--json", "--verbose", "--help", "--no-log"])
    guard let command = parsed.positional.first, !parsed.has("--help"), command != "help" else {
        // Asked for, the usage is the result; otherwise it explains an error.
        let asked = parsed.has("--help") || !parsed.positional.isEmpty
        (asked ? FileHandle.standardOutput : FileHandle.standardError).write(Data(usage.utf8))
        exit(asked ? 0 : SyncError.Code.usage.rawValue)
    }
    let operands = Array(parsed.positional.dropFirst())
    let configURL = URL(fileURLWithPath: parsed.value("--config") ?? Configuration.defaultPath)
    let logger = parsed.has("--verbose") ? Logger.standardError : .silent

    switch command {
    case "status":
        try expect(operands, count: 0, command)
        exit(StatusCommand.run(configURL: configURL, json: parsed.has("--json")))
    case "import":
        try expect(operands, count: 1, command)
        let configuration = try Configuration.load(from: configURL)
        exit(try ImportCommand.run(
            path: URL(fileURLWithPath: operands[0]), configuration: configuration, logger: logger))
    case "sync":
        try expect(operands, count: 0, command)
        let configuration = try Configuration.load(from: configURL)
        exit(try SyncCommand.run(configuration: configuration, logger: logger))
    case "run":
        try expect(operands, count: 0, command)
        Daemon.blockSignals()
        try Daemon(configurationURL: configURL, logger: .standardError).run()
        exit(0)
    case "log-query", "search":
        try checkArgumentsAreUTF8()
        guard !operands.isEmpty else {
            throw SyncError(.usage, "\"\(command)\" needs the question as text.")
        }
        let text = operands.joined(separator: " ")
        let configuration = try Configuration.load(from: configURL)
        if command == "search" {
            exit(try SearchCommand.run(
                text, lang: parsed.value("--lang"), log: !parsed.has("--no-log"),
                configuration: configuration))
        }
        exit(try LogQueryCommand.run(
            text, lang: parsed.value("--lang"), topic: parsed.value("--topic"),
            channel: parsed.value("--channel"), configuration: configuration))
    case "serve-queries":
        try expect(operands, count: 0, command)
        let configuration = try Configuration.load(from: configURL)
        exit(try ServeQueriesCommand.run(
            socket: parsed.value("--socket").map { URL(fileURLWithPath: $0) },
            configuration: configuration, logger: .standardError))
    case "export-queries":
        try expect(operands, count: 1, command)
        let configuration = try Configuration.load(from: configURL)
        exit(try ExportQueriesCommand.run(
            path: URL(fileURLWithPath: operands[0]), configuration: configuration, logger: logger))
    case "usb-paths":
        try expect(operands, count: 0, command)
        let configuration = try Configuration.load(from: configURL)
        print(configuration.usbPaths.map(\.path).joined(separator: "\n"))
        exit(0)
    case "verify":
        try expect(operands, count: 0, command)
        let configuration = try Configuration.load(from: configURL)
        exit(try VerifyCommand.run(configuration: configuration))
    default:
        throw SyncError(.usage, "Unknown command \"\(command)\". Run \"mrc-syncd help\".")
    }
} catch let error as SyncError {
    FileHandle.standardError.write(Data("mrc-syncd: \(error.message)\n".utf8))
    exit(error.exitStatus)
} catch let error as TransportError {
    FileHandle.standardError.write(Data("mrc-syncd: \(error.message)\n".utf8))
    exit(SyncError.Code.network.rawValue)
} catch {
    FileHandle.standardError.write(Data("mrc-syncd: \(error)\n".utf8))
    exit(1)
}

func expect(_ operands: [String], count: Int, _ command: String) throws {
    guard operands.count == count else {
        throw SyncError(.usage, "\"\(command)\" takes \(count) argument(s). Run \"mrc-syncd help\".")
    }
}
