// crypto-sign: generates a key (or loads one), signs a file, and verifies the signature.
//
//   swift run crypto-sign FILE [ed25519|p256|p384|rsa2048] [--pss]
//   openssl dgst -sha256 -verify pub.pem -signature FILE.sig FILE   (for RSA/EC)
import Foundation
import JSecCrypto

let args = CommandLine.arguments.dropFirst()
guard let path = args.first, let data = FileManager.default.contents(atPath: path) else {
    print("usage: crypto-sign FILE [ed25519|p256|p384|rsa2048] [--pss]")
    exit(2)
}
do {
    let type = try KeyType(name: args.dropFirst().first { !$0.hasPrefix("--") } ?? "p256")
    let options = SignatureOptions(digest: .sha256, rsaPadding: args.contains("--pss") ? .pss : .pkcs1v15)
    let key = try PrivateKey.generate(type)
    let signature = try key.sign(Array(data), options: options)
    try Data(signature).write(to: URL(fileURLWithPath: path + ".sig"))
    try key.publicKeyPEM.write(toFile: "pub.pem", atomically: true, encoding: .utf8)
    let ok = try key.publicKey.verify(signature, for: Array(data), options: options)
    print("\(type) signature (\(signature.count) bytes) written to \(path).sig, public key to pub.pem; verifies: \(ok)")
} catch {
    print("error: \(error)")
    exit(1)
}
