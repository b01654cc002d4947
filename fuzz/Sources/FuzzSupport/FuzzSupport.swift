import Foundation
import SyncCore
import CFuzzDriver

#if canImport(Glibc)
import Glibc
#endif

/// The keys every harness trusts: a test pair kept in fuzz/keys, never used
/// for real content. The seed corpora are published with the same key
/// (reliability/fuzz-seeds), so that an unchanged seed passes the
/// signature check and the fuzzer starts from files the reader accepts.
public enum TestKeys {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("keys")

    public static let signing: SigningKey = {
        do {
            return try SigningKey.load(from: folder.appendingPathComponent("test-publisher.key"))
        } catch {
            fatalError("fuzz/keys/test-publisher.key cannot be read: \(error)")
        }
    }()

    public static var trusted: [PublicKey] { [signing.publicKey] }

    public static let inbox: InboxKeyPair = {
        do {
            return try InboxKeyPair.load(
                secretKeyAt: folder.appendingPathComponent("test-inbox.key"))
        } catch {
            fatalError("fuzz/keys/test-inbox.key cannot be read: \(error)")
        }
    }()

    public static let inboxPublic: InboxPublicKey = {
        do {
            return try InboxPublicKey.load(from: folder.appendingPathComponent("test-inbox.pub"))
        } catch {
            fatalError("fuzz/keys/test-inbox.pub cannot be read: \(error)")
        }
    }()
}

/// Where the harnesses read the repository's own files from.
public enum Checkout {
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
}

/// Turns a fuzzer's bytes into a container that the test key has signed,
/// so that the code behind the signature check is reachable at all.
public enum Resign {
    static let preludeSize = 20
    static let trailerSize = 72
    static let smallest = 104

    /// Two shapes of input:
    ///
    /// - a whole container (starting with any 8 bytes): the magic, version
    ///   and total length are set to what a publisher writes, the key id
    ///   to the test key's, and the file signed again; everything else,
    ///   the header length and payload length included, is the fuzzer's;
    /// - `header JSON`, a zero byte, `payload`: laid out and signed the
    ///   way `mrc-publish` does, so that the layout is always right and
    ///   the mutations land in the JSON and the payload.
    public static func container(_ data: Data, kind: SignedFile.Kind) -> Data {
        let magic: [UInt8] = [0x89, 0x4D, 0x52, 0x43, kind.rawValue, 0x0D, 0x0A, 0x1A]
        if data.count >= smallest, data.prefix(4) == Data(magic.prefix(4)) {
            var bytes = [UInt8](data)
            bytes.replaceSubrange(0..<8, with: magic)
            bytes[8] = 0
            bytes[9] = 1
            let total = UInt64(bytes.count).bigEndian
            withUnsafeBytes(of: total) { bytes.replaceSubrange(12..<20, with: $0) }
            let signedEnd = bytes.count - 64
            bytes.replaceSubrange((signedEnd - 8)..<signedEnd, with: TestKeys.signing.publicKey.keyID)
            let signature = TestKeys.signing.sign(Data(bytes[0..<signedEnd]))
            bytes.replaceSubrange(signedEnd..<bytes.count, with: signature)
            return Data(bytes)
        }
        let split = data.firstIndex(of: 0) ?? data.endIndex
        let header = data[data.startIndex..<split]
        let payload = split < data.endIndex ? data[(split + 1)...] : Data()
        return SignedFile.seal(
            kind: kind, header: Data(header), payload: Data(payload), key: TestKeys.signing)
    }
}

/// A folder of the harness's own on a memory file system, emptied between
/// inputs, for harnesses that must go through files.
public final class ScratchFolder: @unchecked Sendable {
    public let url: URL

    public init(_ name: String) {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        url = URL(fileURLWithPath: base)
            .appendingPathComponent("mrc-fuzz-\(name)-\(getpid())")
        try? FileManager.default.removeItem(at: url)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        // libFuzzer ends the process with exit(), which runs atexit handlers.
        ScratchFolder.registry.append(url.path)
        if ScratchFolder.registry.count == 1 {
            atexit {
                for path in ScratchFolder.registry { try? FileManager.default.removeItem(atPath: path) }
            }
        }
    }

    nonisolated(unsafe) static var registry: [String] = []

    public func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    public func removeAll(startingWith prefix: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        for name in names where name.hasPrefix(prefix) {
            try? FileManager.default.removeItem(at: url.appendingPathComponent(name))
        }
    }
}

/// Stops the process with a message libFuzzer keeps next to the input:
/// the way a harness reports a broken invariant.
public func violated(_ what: String, _ input: Data) -> Never {
    let preview = input.prefix(96).map { String(format: "%02x", $0) }.joined()
    fatalError("invariant broken: \(what)\ninput (first 96 bytes, hex): \(preview)")
}

/// A refusal must be a typed `SyncError`, which the command line turns
/// into its documented exit status; anything else would surface as the
/// catch-all status 1.
public func expectTyped(_ error: Error, _ context: String, _ input: Data) {
    guard error is SyncError else {
        violated("\(context) threw \(type(of: error)) (\(error)) instead of SyncError", input)
    }
}

/// Hands a harness to libFuzzer's driver with the program's arguments
/// and exits with its status.
public func runFuzzer(_ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    // Loaded here rather than lazily during the first input, which the
    // leak checker would otherwise blame for them.
    _ = (TestKeys.signing, TestKeys.inbox, TestKeys.inboxPublic)
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, callback))
}

/// The bytes libFuzzer passes, which may come as a null pointer when empty.
public func fuzzInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Data {
    guard let start, count > 0 else { return Data() }
    return Data(bytes: start, count: count)
}

/// Product bugs the fuzzers have found and that are not fixed yet, each
/// with an id listed in reliability/known-issues.txt. reliability/fuzz-short
/// passes the ids in MRC_FUZZ_ALLOW, and a harness then steps around the
/// inputs of that one kind, so that fuzzing goes on finding new kinds;
/// the reproducers in fuzz/regressions keep failing without the switch
/// until the bug is fixed and its line is removed.
public enum KnownIssues {
    static let allowed = Set(
        (ProcessInfo.processInfo.environment["MRC_FUZZ_ALLOW"] ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })

    public static func allows(_ id: String) -> Bool { allowed.contains(id) }
}
