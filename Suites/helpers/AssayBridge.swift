import Assay
import JSec

extension JSecError: AssayCategorizedError {
    // public: it witnesses a public protocol's requirement for a public type.
    public var assayCategory: String { category.rawValue }
}

extension TestContext {
    /// The `transport` dimension as a ``Transport``.
    func transport() throws -> Transport {
        let name = try string("transport")
        guard let t = Transport(rawValue: name) else { throw CheckFailure(message: "unknown transport '\(name)'", file: #fileID, line: #line) }
        return t
    }

    func tlsVersion() throws -> TLSVersion { try TLSVersion(parsing: string("tls-version")) }
}

/// Every transport name, for inline matrices.
let allTransports: [AssayValue] = Transport.allCases.map { .string($0.rawValue) }
let tlsTransports: [AssayValue] = Transport.allCases.filter(\.isTLS).map { .string($0.rawValue) }
let tlsVersions: [AssayValue] = ["1.2", "1.3"]
