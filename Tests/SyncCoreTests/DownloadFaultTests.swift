import Foundation
import Testing
@testable import SyncCore

/// How the resumable download treats every kind of answer to a Range
/// request, against a loopback server that misbehaves on purpose.
@Suite("Resumable downloads under faults", .serialized)
struct DownloadFaultTests {
    /// A 1.2 MB file of pseudo-random bytes, served by a fault server.
    private struct Setup {
        let scratch: Scratch
        let server: FaultServer
        let original: Data
        let partial: URL

        init() throws {
            scratch = try Scratch()
            let root = try scratch.directory("served")
            var generator = SplitMix(seed: 7)
            original = Data((0..<1_200_000).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
            try original.write(to: root.appendingPathComponent("b.mrcb"))
            server = try FaultServer(root: root)
            partial = scratch.path("b.mrcb.part")
        }

        func download(
            have prefix: Int, knownSize: Bool = true, stallTimeout: TimeInterval = 5
        ) throws {
            if prefix > 0 { try original.prefix(prefix).write(to: partial) }
            var received = 0
            try ResumableDownload(
                url: server.baseURL.appendingPathComponent("b.mrcb"), partialFile: partial,
                expectedSize: knownSize ? original.count : nil,
                expectedSHA256: knownSize ? Hash.sha256(original).hexString : nil
            ).run(client: HTTPClient(limits: TransferLimits(stallTimeout: stallTimeout)),
                  received: &received)
        }

        var fileOnDisk: Data { (try? Data(contentsOf: partial)) ?? Data() }
    }

    @Test("C-01 a server that ignores Range: the body is written from 0, never appended")
    func rangeIgnored() throws {
        let setup = try Setup()
        defer { setup.server.stop() }
        setup.server.setBehaviour(.ignoreRange, forPath: nil)

        try setup.download(have: setup.original.count * 6 / 10)

        #expect(setup.fileOnDisk == setup.original)
        let request = try #require(setup.server.requests.first)
        #expect(request.range == "bytes=720000-")
        #expect(request.status == 200)
    }

    @Test("C-02 a 206 that starts earlier than asked is re-aligned")
    func rangeStartsEarlier() throws {
        let setup = try Setup()
        defer { setup.server.stop() }
        setup.server.setBehaviour(.rangeStartsEarlier(alignment: 65_536), forPath: nil)

        try setup.download(have: 1_000_000)

        #expect(setup.fileOnDisk == setup.original)
        #expect(setup.server.requests.count == 1)
        #expect(setup.server.bodyBytesSent(path: "/b.mrcb") == 1_200_000 - 983_040)
    }

    @Test("C-02 a 206 that starts later than asked, or names no range, is not appended",
          arguments: ["later", "no Content-Range"])
    func misalignedPartial(variant: String) throws {
        let setup = try Setup()
        defer { setup.server.stop() }
        setup.server.setBehaviour(
            variant == "later" ? .rangeStartsLater(by: 100) : .partialWithoutContentRange,
            forPath: nil)

        // The second request, without Range, is answered normally.
        try setup.download(have: 1_000_000)

        #expect(setup.fileOnDisk == setup.original)
        #expect(setup.server.requests.map(\.range) == ["bytes=1000000-", nil])
    }

    @Test("C-03 a complete file answered with 416: kept as it is, no HTML written")
    func completeFileGets416() throws {
        let setup = try Setup()
        defer { setup.server.stop() }

        // Size unknown, so the downloader must ask; the server says 416.
        try setup.download(have: setup.original.count, knownSize: false)

        #expect(setup.fileOnDisk == setup.original)
        #expect(setup.server.requests.map(\.status) == [416])
    }

    @Test("C-03 a 416 that names no size: the HTML is dropped and the file fetched again")
    func bare416() throws {
        let setup = try Setup()
        defer { setup.server.stop() }
        setup.server.setBehaviour(.rangeNotSatisfiableHTML, forPath: nil)

        try setup.download(have: setup.original.count, knownSize: false)

        #expect(setup.fileOnDisk == setup.original)
        #expect(!String(decoding: setup.fileOnDisk.suffix(200), as: UTF8.self).contains("html"))
    }

    @Test("C-03 with the size known, a complete file needs no request at all")
    func completeFileKnownSize() throws {
        let setup = try Setup()
        defer { setup.server.stop() }
        try setup.download(have: setup.original.count)
        #expect(setup.server.requests.isEmpty)
        #expect(setup.fileOnDisk == setup.original)
    }

    @Test("C-04 a stalled transfer is abandoned and the bytes received are kept",
          arguments: [nil, 30.0])
    func stalled(trickle: TimeInterval?) throws {
        let setup = try Setup()
        defer { setup.server.stop() }
        let tenth = setup.original.count / 10
        setup.server.setBehaviour(.stall(afterBytes: tenth, trickleEvery: trickle), forPath: nil)

        let error = try #require(throws: TransportError.self) {
            try setup.download(have: 0, stallTimeout: 2)
        }

        #expect(error.kind == .stalled)
        #expect(error.message.contains("stalled"))
        #expect(setup.fileOnDisk == setup.original.prefix(tenth))
        setup.server.setBehaviour(.normal, forPath: nil)
        try setup.download(have: 0)
        #expect(setup.fileOnDisk == setup.original)
        #expect(setup.server.requests.last?.range == "bytes=\(tenth)-")
    }

    @Test("a wrong Content-Length is a cut transfer, resumed next time")
    func wrongContentLength() throws {
        let setup = try Setup()
        defer { setup.server.stop() }
        setup.server.setBehaviour(.wrongContentLength(extra: 1000), forPath: nil)
        #expect(throws: TransportError.self) { try setup.download(have: 0) }
        #expect(setup.fileOnDisk == setup.original)
        setup.server.setBehaviour(.normal, forPath: nil)
        try setup.download(have: 0)
        #expect(setup.fileOnDisk == setup.original)
    }

    @Test("a download cut ten times costs at most 5% more bytes than the file")
    func cutTenTimes() throws {
        let setup = try Setup()
        defer { setup.server.stop() }
        var generator = SplitMix(seed: 42)
        for _ in 0..<10 {
            let cut = 1_000 + Int(generator.next() % 100_000)
            setup.server.setBehaviour(.cutAfter(bytes: cut), forPath: nil)
            #expect(throws: TransportError.self) { try setup.download(have: 0) }
        }
        setup.server.setBehaviour(.normal, forPath: nil)
        try setup.download(have: 0)

        #expect(setup.fileOnDisk == setup.original)
        let sent = setup.server.bodyBytesSent(path: "/b.mrcb")
        #expect(sent <= setup.original.count * 105 / 100, "sent \(sent) for \(setup.original.count)")
        #expect(setup.server.requests.count == 11)
    }

    @Test("500 and 503 are errors that carry Retry-After")
    func serverErrors() throws {
        let setup = try Setup()
        defer { setup.server.stop() }
        setup.server.setBehaviour(.status(503, retryAfter: 120), forPath: nil)
        let error = try #require(throws: TransportError.self) { try setup.download(have: 0) }
        #expect(error.kind == .httpStatus(503))
        #expect(error.retryAfter == 120)
        #expect(setup.fileOnDisk.isEmpty)
    }
}

/// A small deterministic generator, so that fault tests are reproducible.
struct SplitMix {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
