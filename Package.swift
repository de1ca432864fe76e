// swift-tools-version: 6.1
// jsec for Swift: a TLS/DTLS/crypto library on the system OpenSSL 3 (JSec),
// and the Assay test-and-benchmark harness. Layout and dependency rules: docs/architecture.md.
import PackageDescription

let package = Package(
    name: "jsec",
    platforms: [.macOS(.v15)],  // Synchronization.Mutex
    products: [
        .library(name: "JSec", targets: ["JSec"]),
        .library(name: "JSecCrypto", targets: ["JSecCrypto"]),
        .library(name: "Assay", targets: ["Assay"]),
        .library(name: "AssayResults", targets: ["AssayResults"]),
        .executable(name: "runner", targets: ["runner"]),
        .executable(name: "analyzer", targets: ["analyzer"]),
        .executable(name: "echo-server", targets: ["echo-server"]),
        .executable(name: "echo-client", targets: ["echo-client"]),
        .executable(name: "https-get", targets: ["https-get"]),
        .executable(name: "https-server", targets: ["https-server"]),
        .executable(name: "https-nio", targets: ["https-nio"]),
        .executable(name: "tls-resumption", targets: ["tls-resumption"]),
        .executable(name: "ocsp-stapling", targets: ["ocsp-stapling"]),
        .executable(name: "mtls", targets: ["mtls"]),
        .executable(name: "starttls", targets: ["starttls"]),
        .executable(name: "dtls-echo", targets: ["dtls-echo"]),
        .executable(name: "dtls-quick-start", targets: ["dtls-quick-start"]),
        .executable(name: "quick-start", targets: ["quick-start"]),
        .executable(name: "assay-suite", targets: ["assay-suite"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        // --- JSec: OpenSSL shim, crypto, TLS ---
        .target(
            name: "CJSecOpenSSL",
            linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]
        ),
        .target(name: "JSecCrypto", dependencies: ["CJSecOpenSSL"]),
        .target(
            name: "JSec",
            dependencies: [
                "CJSecOpenSSL", "JSecCrypto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                // TLSUserEvent, which TLSClientHandler/TLSServerHandler fire as swift-nio-ssl's handlers do.
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // --- Assay: the harness ---
        .target(name: "AssayResults"),
        .target(name: "CAssaySystem"),  // prctl for the runner's orphan reaper (Swift cannot call variadic C)
        // The harness knows nothing about TLS: remote participants go through its RemoteTransport protocol.
        .target(
            name: "Assay",
            dependencies: ["AssayResults", "CAssaySystem", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // Assay's remote transport over TLS 1.3 with mutual authentication, on JSec; the runner wires it in.
        .target(name: "AssayRemoteTLS", dependencies: ["Assay", "JSec", "JSecCrypto"]),
        .executableTarget(
            name: "runner",
            dependencies: ["Assay", "AssayRemoteTLS", "Suites", "JSec"]
        ),
        .executableTarget(
            name: "analyzer",
            dependencies: [
                "AssayResults", "PerfAnalysis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // perf9 statistics, grouping, comparison and report writers (used by `analyzer`).
        .target(
            name: "PerfAnalysis",
            dependencies: ["AssayResults", .product(name: "Histogram", package: "hdrhistogram-swift")]
        ),
        .target(
            name: "Suites",
            dependencies: [
                "Assay", "JSec", "JSecCrypto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Suites",
            exclude: ["integration/peers"]  // Python and Node peer scripts run by the interop suites
        ),

        // --- Examples ---
        // The README's quick start as one program; the DocC "Getting Started" article is cut from it.
        .executableTarget(name: "quick-start", dependencies: ["JSec"], path: "Examples/quick-start"),
        // jsec's DTLS quick start, from a NetDatagramSocket.
        .executableTarget(name: "dtls-quick-start", dependencies: ["JSec"], path: "Examples/dtls-quick-start"),
        // Two small Assay suites in a runner of their own; the DocC "Writing suites" article is cut from it.
        .executableTarget(name: "assay-suite", dependencies: ["Assay"], path: "Examples/assay-suite"),
        .executableTarget(
            name: "echo-server",
            dependencies: ["JSec", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/echo-server"
        ),
        .executableTarget(
            name: "echo-client",
            dependencies: ["JSec", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/echo-client"
        ),
        .executableTarget(
            name: "https-get",
            dependencies: ["JSec", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/https-get"
        ),
        .executableTarget(
            name: "https-server",
            dependencies: ["JSec", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/https-server"
        ),
        // An HTTP/1.1 server in a SwiftNIO pipeline: ServerBootstrap, JSec's TLSServerHandler, NIOHTTP1.
        .executableTarget(
            name: "https-nio",
            dependencies: [
                "JSec", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Examples/https-nio"
        ),
        .executableTarget(
            name: "tls-resumption",
            dependencies: ["JSec", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/tls-resumption"
        ),
        .executableTarget(
            name: "ocsp-stapling",
            dependencies: ["JSec", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/ocsp-stapling"
        ),
        .executableTarget(
            name: "mtls",
            dependencies: ["JSec", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/mtls"
        ),
        .executableTarget(
            name: "starttls",
            dependencies: ["JSec", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/starttls"
        ),

        // Micro-benchmarks of the hot paths with saved baselines (tools/microbench/README.md).
        .executableTarget(
            name: "jsec-bench",
            dependencies: [
                "JSec", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "tools/microbench",
            exclude: ["README.md", "baseline.json", "run"]
        ),
        .executableTarget(
            name: "dtls-echo",
            dependencies: ["JSec", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/dtls-echo"
        ),

        .executableTarget(name: "crypto-sign", dependencies: ["JSecCrypto"], path: "Examples/crypto-sign"),
        .executableTarget(name: "crypto-aead", dependencies: ["JSecCrypto"], path: "Examples/crypto-aead"),
        .executableTarget(name: "crypto-ca", dependencies: ["JSecCrypto"], path: "Examples/crypto-ca"),
        .executableTarget(name: "crypto-pkcs12", dependencies: ["JSecCrypto"], path: "Examples/crypto-pkcs12"),
        .executableTarget(name: "crypto-fuzz", dependencies: ["JSecCrypto"], path: "Examples/crypto-fuzz"),
        // tools/compare-peers: JSec's echo server / load client / handshake client (peers contract).
        .target(name: "CJSecPeerSystem", path: "tools/peers/jsec-system"),  // epoll for jsec-peer --api direct
        .executableTarget(
            name: "jsec-peer",
            dependencies: [
                "JSec", "CJSecPeerSystem", "CJSecOpenSSL", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"), .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "tools/peers/jsec"
        ),

        // --- Tests ---
        // Self-test fixture: a runner with deliberately crashing, hanging and
        // failing suites (never part of Suites/). Run by Tests/AssayTests.
        .executableTarget(
            name: "AssayFixtureRunner",
            dependencies: ["Assay"],
            path: "Tests/AssayFixtureRunner",
            exclude: ["Matrices"]
        ),
        // JSec and AssayRemoteTLS: the remote coordinator's tests attack it over real TLS.
        .testTarget(name: "AssayTests", dependencies: ["Assay", "AssayResults", "AssayRemoteTLS", "JSec", "AssayFixtureRunner"]),
        .testTarget(
            name: "AnalyzerTests",
            dependencies: ["PerfAnalysis", "AssayResults", "analyzer", "Assay"],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "JSecCryptoTests", dependencies: ["JSecCrypto", "CJSecOpenSSL"]),
        // TLSHandler and StreamBridgeHandler on NIO's EmbeddedChannel: every state against every event, no sockets.
        .testTarget(
            name: "JSecTests",
            dependencies: [
                "JSec", "JSecCrypto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
