// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets for Vigil's parsers of hostile input. A separate package, so that neither `swift build` of the
// root package nor `scripts/package` ever compiles a harness into a shipped binary.
//
// Build and run through `scripts/fuzz` (it passes `-sanitize=fuzzer,address -parse-as-library -enable-testing` and
// links with lld): each target's `main` hands its test function to libFuzzer's driver (`FuzzSupport.runFuzzer`), so
// they only link with the sanitizer.
let settings: [SwiftSetting] = [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "vigil-fuzz",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "FuzzHTTPHead", targets: ["FuzzHTTPHead"]),
        .executable(name: "FuzzEnvelope", targets: ["FuzzEnvelope"]),
        .executable(name: "FuzzNginx", targets: ["FuzzNginx"]),
        .executable(name: "FuzzSSH", targets: ["FuzzSSH"]),
        .executable(name: "FuzzConfig", targets: ["FuzzConfig"]),
        .executable(name: "FuzzTracker", targets: ["FuzzTracker"]),
        .executable(name: "FuzzOSV", targets: ["FuzzOSV"]),
    ],
    dependencies: [
        .package(name: "vigil", path: "..")
    ],
    targets: [
        // Property checks shared by the targets (a failed one aborts, so libFuzzer saves the input).
        .target(name: "FuzzSupport", swiftSettings: settings),
        .executableTarget(name: "FuzzHTTPHead", dependencies: ["FuzzSupport", .product(name: "Shared", package: "vigil")], swiftSettings: settings),
        .executableTarget(name: "FuzzEnvelope", dependencies: ["FuzzSupport", .product(name: "Shared", package: "vigil")], swiftSettings: settings),
        .executableTarget(
            name: "FuzzNginx", dependencies: ["FuzzSupport", .product(name: "SentryAgent", package: "vigil")], swiftSettings: settings),
        .executableTarget(name: "FuzzSSH", dependencies: ["FuzzSupport", .product(name: "SentryAgent", package: "vigil")], swiftSettings: settings),
        .executableTarget(
            name: "FuzzConfig",
            dependencies: [
                "FuzzSupport", .product(name: "Shared", package: "vigil"), .product(name: "SentryAgent", package: "vigil"),
                .product(name: "BotHub", package: "vigil"),
            ],
            swiftSettings: settings
        ),
        .executableTarget(name: "FuzzTracker", dependencies: ["FuzzSupport", .product(name: "BotHub", package: "vigil")], swiftSettings: settings),
        .executableTarget(name: "FuzzOSV", dependencies: ["FuzzSupport", .product(name: "BotHub", package: "vigil")], swiftSettings: settings),
    ]
)
