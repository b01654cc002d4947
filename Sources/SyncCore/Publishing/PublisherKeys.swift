import Foundation

/// The central office's two key pairs: one signs content, the other opens
/// the visitor-query batches that centres encrypt to it.
public enum PublisherKeys {
    public static let signingSecret = "publisher.key"
    public static let signingPublic = "publisher.pub"
    public static let inboxSecret = "inbox.key"
    public static let inboxPublic = "inbox.pub"

    /// Writes fresh key pairs into `directory`. Secret keys are created with
    /// mode 0600 and never overwrite an existing file.
    public static func generate(into directory: URL) throws {
        try FileSystem.createDirectory(directory)
        for name in [signingSecret, signingPublic, inboxSecret, inboxPublic] {
            let url = directory.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: url.path) {
                throw SyncError(
                    .usage,
                    "\(url.path) already exists. Keys are never overwritten; choose an empty "
                        + "folder, or move the old keys away first.")
            }
        }
        let signing = SigningKey.generate()
        let inbox = InboxKeyPair.generate()
        try FileSystem.createExclusively(
            signing.fileContents(), at: directory.appendingPathComponent(signingSecret), mode: 0o600)
        try FileSystem.createExclusively(
            signing.publicKey.fileContents(), at: directory.appendingPathComponent(signingPublic),
            mode: 0o644)
        try FileSystem.createExclusively(
            inbox.secretFileContents(), at: directory.appendingPathComponent(inboxSecret),
            mode: 0o600)
        try FileSystem.createExclusively(
            inbox.publicFileContents(), at: directory.appendingPathComponent(inboxPublic),
            mode: 0o644)
    }
}
