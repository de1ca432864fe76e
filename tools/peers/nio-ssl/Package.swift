// swift-tools-version: 6.1
// The swift-nio-ssl peer for tools/compare-peers: an echo server, an echo load
// client and a handshake client on swift-nio-ssl (BoringSSL). A separate
// package on purpose: the root package never depends on swift-nio-ssl, so its
// default build stays lean. Build: swift build -c release --scratch-path .build-peer
import PackageDescription

let package = Package(
    name: "nio-ssl-peer",
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        .executableTarget(
            name: "nio-ssl-peer",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
