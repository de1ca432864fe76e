// crypto-fuzz: runs JSecCrypto's parser fuzz self-test (ParserFuzzer) and prints the report.
// Small scales are meant for valgrind (see docs/crypto.md):
//
//   swift run crypto-fuzz [SCALE=1.0] [SEED]
import Foundation
import JSecCrypto

let args = CommandLine.arguments.dropFirst()
let scale = args.first.flatMap(Double.init) ?? 1.0
let seed = args.dropFirst().first.flatMap { UInt64($0) } ?? 0x5EED_1234
do {
    let report = try ParserFuzzer.run(scale: scale, seed: seed)
    print(report)
    for f in report.failures.prefix(20) { print("FAILURE: \(f)") }
    exit(report.failures.isEmpty ? 0 : 1)
} catch {
    print("error: \(error)")
    exit(1)
}
