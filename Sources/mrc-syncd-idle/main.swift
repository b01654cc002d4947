// The service's waiting room: what `mrc-syncd run` turns into while it
// waits minutes or hours for its next check.
//
//     mrc-syncd-idle UNTIL_MS PROGRAM ARGUMENTS...
//
// It waits until UNTIL_MS (milliseconds since the epoch), feeding systemd's
// watchdog if one is set, and then executes PROGRAM with ARGUMENTS in its
// place, with MRC_SYNCD_RESUME_EVENT in the environment saying why: `due`
// at that time, `reload` on SIGHUP, `stop` on SIGTERM or SIGINT. The
// process stays the same, so systemd's main PID, the daemon's lock (an
// inherited descriptor) and the signals blocked stay as they were.
//
// It links nothing but the C library and Swift's core library: the point of
// it is that a waiting service holds a few megabytes, not the tens that
// Foundation, SQLite, libcurl and their TLS libraries take once loaded.

#if canImport(Glibc)
import Glibc
#endif

/// Writes `message` to standard error and leaves with `status`.
func fail(_ message: String, status: Int32 = 70) -> Never {
    let line = "mrc-syncd-idle: \(message)\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(status)
}

func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

func realtimeMilliseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
}

func environment(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
}

/// systemd's watchdog, as `WATCHDOG_USEC` and `WATCHDOG_PID` ask for it.
struct Watchdog {
    let interval: Double?
    private let socket: Int32
    private var address = sockaddr_un()
    private var length: socklen_t = 0
    private var lastPing = -Double.infinity

    init() {
        let pidMatches = environment("WATCHDOG_PID").map { Int32($0) == getpid() } ?? true
        guard let path = environment("NOTIFY_SOCKET"), !path.isEmpty,
              let micros = environment("WATCHDOG_USEC").flatMap({ UInt64($0) }), micros > 0,
              pidMatches
        else {
            interval = nil
            socket = -1
            return
        }
        var bytes = Array(path.utf8)
        // A leading "@" names a socket in the abstract namespace.
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else {
            interval = nil
            socket = -1
            return
        }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
        }
        // A path ends with a NUL; an abstract name is exactly its bytes.
        let terminator = bytes.first == 0 ? 0 : 1
        length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + terminator)
        socket = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        interval = socket >= 0 ? Double(micros) / 1e6 : nil
    }

    /// Seconds until the next ping is due, if there is a watchdog.
    var secondsUntilDue: Double? {
        interval.map { max(0, lastPing + $0 / 2 - monotonicSeconds()) }
    }

    mutating func pingIfDue() {
        guard let wait = secondsUntilDue, wait <= 0 else { return }
        lastPing = monotonicSeconds()
        let message = Array("WATCHDOG=1".utf8)
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { target in
                message.withUnsafeBytes { bytes in
                    sendto(
                        socket, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), target,
                        length)
                }
            }
        }
    }
}

/// Executes the program in this process's place, saying why.
func resume(_ event: String, program: String, arguments: [String]) -> Never {
    setenv("MRC_SYNCD_RESUME_EVENT", event, 1)
    var argv: [UnsafeMutablePointer<CChar>?] = ([program] + arguments).map { strdup($0) }
    argv.append(nil)
    execv(program, &argv)
    fail("cannot run \(program): \(String(cString: strerror(errno)))")
}

let arguments = CommandLine.arguments
guard arguments.count >= 3, let until = Int64(arguments[1]) else {
    fail("usage: mrc-syncd-idle UNTIL_MS PROGRAM ARGUMENTS...", status: 64)
}
let program = arguments[2]
let programArguments = Array(arguments.dropFirst(3))

var signals = sigset_t()
sigemptyset(&signals)
for signal in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&signals, signal) }
pthread_sigmask(SIG_BLOCK, &signals, nil)

var watchdog = Watchdog()
while true {
    watchdog.pingIfDue()
    let remaining = Double(until - realtimeMilliseconds()) / 1000
    if remaining <= 0 { resume("due", program: program, arguments: programArguments) }
    // At most ten minutes at a time, so that a clock set forward is noticed.
    let wait = min(remaining, watchdog.secondsUntilDue ?? remaining, 600)
    var timeout = timespec(
        tv_sec: Int(wait), tv_nsec: Int((wait - wait.rounded(.down)) * 1e9))
    switch sigtimedwait(&signals, nil, &timeout) {
    case SIGTERM, SIGINT: resume("stop", program: program, arguments: programArguments)
    case SIGHUP: resume("reload", program: program, arguments: programArguments)
    default: continue
    }
}
