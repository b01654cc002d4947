// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "mrc-syncd",
    products: [
        .library(name: "SyncCore", targets: ["SyncCore"]),
        .executable(name: "mrc-syncd", targets: ["mrc-syncd"]),
        .executable(name: "mrc-publish", targets: ["mrc-publish"]),
        .executable(name: "mrc-syncd-idle", targets: ["mrc-syncd-idle"]),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(
            name: "SyncCore",
            dependencies: ["CSQLite", "CZlib", "CSodium", "CCurl"]
        ),
        .executableTarget(name: "mrc-syncd", dependencies: ["SyncCore"]),
        .executableTarget(name: "mrc-publish", dependencies: ["SyncCore"]),
        // The waiting service: no Foundation, no SQLite, no libcurl.
        .executableTarget(name: "mrc-syncd-idle"),
        .testTarget(name: "SyncCoreTests", dependencies: ["SyncCore"]),
    ]
)
