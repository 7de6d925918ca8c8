// swift-tools-version:6.1
import PackageDescription

/// Every target is compiled in Swift 6 language mode with strict concurrency; warnings are treated as a defect by CI.
let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

/// `Shared` and `SentryAgent` use FoundationEssentials only. Without member import visibility, one file importing
/// full Foundation would make its members (`trimmingCharacters`, `range(of:)`) visible in every file of the module.
let essentialsSettings = strictSettings + [.enableUpcomingFeature("MemberImportVisibility")]

let package = Package(
    name: "vigil",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "bothub", targets: ["BotHubMain"]),
        .executable(name: "sentry-agent", targets: ["SentryAgentMain"]),
        .executable(name: "vigil-bench", targets: ["VigilBench"]),
        // For the fuzz package in Fuzz/ (a separate package, so the shipped binaries never contain a harness).
        .library(name: "Shared", targets: ["Shared"]),
        .library(name: "SentryAgent", targets: ["SentryAgent"]),
        .library(name: "BotHub", targets: ["BotHub"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swhitty/FlyingFox", from: "0.27.1"),
        // 4.x: `Crypto` imports FoundationEssentials on Linux (3.x pulled in full Foundation).
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // libyaml (apt: libyaml-dev), linked from its static archive; see Sources/CLibYAML/module.modulemap.
        .systemLibrary(name: "CLibYAML", providers: [.apt(["libyaml-dev"])]),
        .target(
            name: "Shared",
            dependencies: [
                .product(name: "FlyingSocks", package: "FlyingFox"),
                .product(name: "Crypto", package: "swift-crypto"),
                "CLibYAML",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: essentialsSettings
        ),
        // translations/*.yml compiled into the hub (the only program that writes Telegram messages), so an installed
        // hub needs no file beside it.
        .executableTarget(name: "CatalogEmbedder", swiftSettings: strictSettings),
        .plugin(name: "EmbedCatalogs", capability: .buildTool(), dependencies: ["CatalogEmbedder"]),
        // libcurl for the hub's Telegram client (FoundationNetworking stays out of the hub); the header wraps the variadic
        // `curl_easy_setopt` in typed inline functions Swift can call.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // fanotify and name_to_handle_at for the identity watcher (glibc headers; nothing to link).
        .systemLibrary(name: "CFanotify"),
        // Each program is a library (its whole code, so tests and fuzz targets link it) and a one-line executable.
        .target(
            name: "BotHub",
            dependencies: [
                "Shared",
                "CCurl",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings,
            plugins: ["EmbedCatalogs"]
        ),
        .executableTarget(name: "BotHubMain", dependencies: ["BotHub"], swiftSettings: strictSettings),
        .target(
            name: "SentryAgent",
            dependencies: [
                "Shared",
                "CFanotify",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: essentialsSettings
        ),
        .executableTarget(name: "SentryAgentMain", dependencies: ["SentryAgent"], swiftSettings: strictSettings),
        .executableTarget(
            name: "VigilBench",
            dependencies: [
                "Shared",
                "SentryAgent",
                // `vigil-bench vulns` times the hub's feed reader and matcher through `VulnerabilityBenchmarks`.
                "BotHub",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        // What the three test targets share: free ports, temporary directories, seeded generators, waiting for a
        // condition, and the lock that keeps system tests from running beside each other.
        .target(name: "VigilTestSupport", path: "Tests/VigilTestSupport", swiftSettings: strictSettings),
        .testTarget(
            name: "SharedTests",
            dependencies: ["Shared", "VigilTestSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            resources: [.copy("Golden")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BotHubTests",
            dependencies: ["BotHub", "Shared", "VigilTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SentryAgentTests",
            dependencies: ["SentryAgent", "Shared", "VigilTestSupport"],
            // Log fixtures are read from the source tree by path (the follower and replay tests need real files).
            exclude: ["Fixtures"],
            swiftSettings: strictSettings
        ),
    ]
)
