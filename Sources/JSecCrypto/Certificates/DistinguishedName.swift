internal import CJSecOpenSSL

/// The fields of an X.509 name (subject or issuer) that jsec reports and accepts.
public struct DistinguishedName: Sendable, Hashable, CustomStringConvertible {
    public var commonName: String?
    public var organization: String?
    public var organizationalUnit: String?
    public var country: String?
    public var state: String?
    public var locality: String?
    public var email: String?
    /// The whole name in RFC 2253 form (filled in when parsed; ignored when building).
    public private(set) var rfc2253: String = ""

    public init(
        commonName: String? = nil, organization: String? = nil, organizationalUnit: String? = nil, country: String? = nil,
        state: String? = nil, locality: String? = nil, email: String? = nil
    ) {
        self.commonName = commonName
        self.organization = organization
        self.organizationalUnit = organizationalUnit
        self.country = country
        self.state = state
        self.locality = locality
        self.email = email
    }

    public var description: String { rfc2253 }

    static var fields: [(WritableKeyPath<DistinguishedName, String?>, String, Int32)] {
        [
            (\.country, "C", NID_countryName), (\.state, "ST", NID_stateOrProvinceName), (\.locality, "L", NID_localityName),
            (\.organization, "O", NID_organizationName), (\.organizationalUnit, "OU", NID_organizationalUnitName),
            (\.commonName, "CN", NID_commonName), (\.email, "emailAddress", NID_pkcs9_emailAddress),
        ]
    }

    /// Reads an `X509_NAME` (not taken over).
    init(_ name: OpaquePointer?) {
        guard let name else { return }
        for (path, _, nid) in Self.fields {
            let idx = X509_NAME_get_index_by_NID(name, nid, -1)
            if idx >= 0, let entry = X509_NAME_get_entry(name, idx), let data = X509_NAME_ENTRY_get_data(entry) {
                self[keyPath: path] = Certificate.string(asn1: UnsafePointer(data))
            }
        }
        rfc2253 = Certificate.nameString(name)
    }

    /// Builds a new `X509_NAME`; the caller frees it with `X509_NAME_free`.
    func makeX509Name() throws -> OpaquePointer {
        guard let name = X509_NAME_new() else { throw JSecError.openSSL(.crypto, "X509_NAME_new failed") }
        var any = false
        for (path, short, _) in Self.fields {
            guard let value = self[keyPath: path] else { continue }
            guard !value.isEmpty, X509_NAME_add_entry_by_txt(name, short, MBSTRING_UTF8, value, -1, -1, 0) == 1 else {
                X509_NAME_free(name)
                throw JSecError.openSSL(.configuration, "invalid \(short) value '\(value)'")
            }
            any = true
        }
        guard any else { X509_NAME_free(name); throw JSecError(.configuration, "a distinguished name needs at least one field", code: .jsec(.invalidArgument)) }
        return name
    }
}
