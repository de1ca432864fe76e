// crypto-pkcs12: bundles a certificate chain and key into a password-protected PKCS#12, or lists one.
//
//   swift run crypto-pkcs12 create CERT.pem KEY.pem PASSWORD OUT.p12 [NAME]
//   swift run crypto-pkcs12 show FILE.p12 PASSWORD
import Foundation
import JSecCrypto

let args = Array(CommandLine.arguments.dropFirst())
func read(_ path: String) throws -> [UInt8] {
    guard let d = FileManager.default.contents(atPath: path) else { throw JSecError(.configuration, "cannot read \(path)", code: .jsec(.invalidArgument)) }
    return Array(d)
}
do {
    switch (args.first, args.count) {
    case ("create", 5), ("create", 6):
        let chain = try Certificate.chain(pem: String(decoding: try read(args[1]), as: UTF8.self))
        let key = try PrivateKey(bytes: try read(args[2]))
        let p12 = try PKCS12.create(
            certificate: chain[0], privateKey: key, chain: Array(chain.dropFirst()),
            password: args[3], friendlyName: args.count == 6 ? args[5] : nil)
        try Data(p12).write(to: URL(fileURLWithPath: args[4]))
        print("wrote \(args[4]): \(chain[0].subject) + \(chain.count - 1) chain certificate(s)")
    case ("show", 3):
        let c = try PKCS12.parse(try read(args[1]), password: args[2])
        print("name:        \(c.friendlyName ?? "-")")
        let certificate = try c.certificate.map { "\($0.subject) (SHA-256 \(try $0.fingerprint()))" } ?? "-"
        print("certificate: \(certificate)")
        print("key:         \(c.privateKey.map { "\($0.info.type) \($0.info.bits) bits" } ?? "-")")
        for extra in c.chain { print("chain:       \(extra.subject)") }
    default:
        print("usage: crypto-pkcs12 create CERT.pem KEY.pem PASSWORD OUT.p12 [NAME] | show FILE.p12 PASSWORD")
        exit(2)
    }
} catch {
    print("error: \(error)")
    exit(1)
}
