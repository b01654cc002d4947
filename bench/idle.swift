// The reference for the daemon's idle footprint: a program that links
// Foundation, touches it once, and sleeps until it is stopped. bench/run
// builds it with `swiftc -O` and measures it beside `mrc-syncd run`.
import Foundation

let seconds = CommandLine.arguments.dropFirst().first.flatMap(Double.init) ?? 3600
let started = Date()
FileHandle.standardError.write("idle: sleeping \(seconds) s from \(started)\n".data(using: .utf8)!)
Thread.sleep(forTimeInterval: seconds)
