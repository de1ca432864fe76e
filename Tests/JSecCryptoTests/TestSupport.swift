import Foundation
import JSecCrypto

/// Runs the second implementations (the `openssl` CLI, Python's `cryptography`) for cross-checks.
enum Peer {
    struct Result { let status: Int32; let stdout: [UInt8]; let stderr: String; var text: String { String(decoding: stdout, as: UTF8.self) } }

    static func run(_ args: [String], stdin: [UInt8]? = nil, cwd: URL? = nil) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        if let cwd { p.currentDirectoryURL = cwd }
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inp
        try p.run()
        let writer = Thread {
            if let stdin { inp.fileHandleForWriting.write(Data(stdin)) }
            try? inp.fileHandleForWriting.close()
        }
        writer.start()
        // Read stderr concurrently so neither pipe can fill up and block the child.
        final class Box: @unchecked Sendable { var data = Data() }  // written by one thread, read after join
        let errBox = Box()
        let errDone = DispatchSemaphore(value: 0)
        Thread {
            errBox.data = err.fileHandleForReading.readDataToEndOfFile(); errDone.signal()
        }.start()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        errDone.wait()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: [UInt8](o), stderr: String(decoding: errBox.data, as: UTF8.self))
    }

    static func openssl(_ args: [String], stdin: [UInt8]? = nil, cwd: URL? = nil) throws -> Result { try run(["openssl"] + args, stdin: stdin, cwd: cwd) }
    static func python(_ script: String, _ args: [String] = [], stdin: [UInt8]? = nil, cwd: URL? = nil) throws -> Result {
        try run(["python3", "-c", script] + args, stdin: stdin, cwd: cwd)
    }
}

/// A unique temporary directory, removed on deinit.
final class TempDir {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("jseccrypto-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    @discardableResult func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        try Data(bytes).write(to: url.appendingPathComponent(name)); return path(name)
    }
    @discardableResult func write(_ name: String, _ text: String) throws -> String { try write(name, Array(text.utf8)) }
    func read(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: url.appendingPathComponent(name))) }
}

func hex(_ s: String) -> [UInt8] { try! Hex.decode(s) }
func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
