// swift-tools-version:6.0
// libFuzzer targets for SyncCore. Build from this folder with
//
//     swift build -c release -Xswiftc -sanitize=fuzzer,address
//
// and run them with reliability/fuzz-short or reliability/fuzz-long;
// docs/reliability.md says more.
import PackageDescription

// The main package is the folder above this one. SwiftPM names a path
// dependency after its folder, which differs between checkouts, so the
// name is read from the path rather than written down.
let mainPackage = Context.packageDirectory
    .split(separator: "/").dropLast().last.map { String($0).lowercased() } ?? "main"

let core: Target.Dependency = .product(name: "SyncCore", package: mainPackage)

let targets = [
    "fuzz-bundle-raw", "fuzz-bundle-signed", "fuzz-index-raw", "fuzz-index-signed",
    "fuzz-content", "fuzz-scrubber", "fuzz-zawgyi", "fuzz-batch",
]

let package = Package(
    name: "mrc-syncd-fuzz",
    dependencies: [.package(path: "..")],
    targets: [
        .target(name: "CFuzzDriver"),
        .target(name: "FuzzSupport", dependencies: [core, "CFuzzDriver"]),
    ] + targets.map {
        .executableTarget(name: $0, dependencies: [core, "FuzzSupport", "CFuzzDriver"])
    }
)
