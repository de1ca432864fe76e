// crypto-aead: password-based authenticated encryption of a file (scrypt → AES-256-GCM or ChaCha20-Poly1305).
//
//   swift run crypto-aead encrypt FILE PASSWORD   → FILE.enc  (salt ‖ nonce ‖ ciphertext ‖ tag)
//   swift run crypto-aead decrypt FILE.enc PASSWORD
import Foundation
import JSecCrypto

let args = Array(CommandLine.arguments.dropFirst())
guard args.count == 3, ["encrypt", "decrypt"].contains(args[0]), let input = FileManager.default.contents(atPath: args[1]) else {
    print("usage: crypto-aead encrypt|decrypt FILE PASSWORD")
    exit(2)
}
let algorithm = AEADAlgorithm.aes256GCM
func key(_ salt: [UInt8]) throws -> [UInt8] {
    try KDF.scrypt(password: Array(args[2].utf8), salt: salt, n: 1 << 15, r: 8, p: 1, length: algorithm.keyLength)
}
do {
    if args[0] == "encrypt" {
        let salt = try SecureRandom.bytes(16)
        let box = try AEAD.seal(algorithm, key: try key(salt), plaintext: Array(input), aad: Array("crypto-aead v1".utf8))
        try Data(salt + box.combined).write(to: URL(fileURLWithPath: args[1] + ".enc"))
        print("wrote \(args[1]).enc (\(AEAD.info(algorithm).name), \(input.count) bytes of plaintext)")
    } else {
        let bytes = Array(input)
        guard bytes.count >= 16 + 12 + 16 else { throw JSecError(.crypto, "input too short", code: .jsec(.malformedInput)) }
        let salt = Array(bytes[0..<16]), nonce = Array(bytes[16..<28])
        let plaintext = try AEAD.open(
            algorithm, key: try key(salt), nonce: nonce, ciphertext: bytes[28..<(bytes.count - 16)],
            tag: bytes.suffix(16), aad: Array("crypto-aead v1".utf8))
        FileHandle.standardOutput.write(Data(plaintext))
    }
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
