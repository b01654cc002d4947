import Testing
@testable import SyncCore

@Suite("Log lines")
struct LoggerTests {
    @Test("a line carries the journald priority and key=value fields")
    func journalLine() {
        let line = Logger.journalLine(.notice, "bundle.applied", [
            ("release", "4"), ("bundle", "mm-main-3-4.delta.mrcb"), ("bytes", "575"),
        ])
        #expect(line == "<5>bundle.applied release=4 bundle=mm-main-3-4.delta.mrcb bytes=575")
    }

    @Test("a file name cannot start a forged log line")
    func controlCharactersEscaped() {
        let line = Logger.journalLine(.info, "import.skipped", [
            ("file", "x\n<3>import.failed source=FAKE"), ("reason", "not a bundle"),
        ])
        #expect(!line.contains("\n"))
        #expect(line == #"<6>import.skipped file="x\n<3>import.failed source=FAKE" reason="not a bundle""#)
    }
}
