import Foundation

/// `--wrapper 'valgrind …'` on a default debug build: valgrind before 3.20
/// cannot read DWARF 5 debug info (Swift's default), and every wrapped worker
/// would die with "Possibly corrupted debuginfo file". So before running
/// anything the runner checks: a valgrind wrapper, a valgrind older than
/// 3.20, and this executable's `.debug_info` at DWARF 5 or later → it builds
/// the same product with DWARF 4 (`tools/valgrind/build.sh PRODUCT`, into
/// `.build-valgrind`, reusing it when up to date) and re-executes that binary
/// with the same arguments. Without the package sources (an installed
/// binary) it stops at once with one line naming the supported way.
enum ValgrindReexec {
    /// Set in the re-executed runner (never re-execute twice).
    static let marker = "ASSAY_VALGRIND_REEXEC"
    /// Overrides the build command (it must print the binary's path last on stdout).
    static let buildOverride = "ASSAY_VALGRIND_BUILD_COMMAND"
    /// Timeout factor applied when the user gave none (valgrind is ~20–50× slower).
    static let defaultTimeoutScale = "30"

    enum Decision: Equatable {
        case proceed
        /// Re-execute this binary, with these extra environment variables.
        case reexec(binary: String, environment: [String: String])
        /// One line for stderr; exit 2.
        case refuse(String)
    }

    /// The wrapper's program when it is valgrind (skipping `env` and `VAR=value` words).
    static func valgrindProgram(in wrapper: String) -> String? {
        for word in wrapper.split(whereSeparator: \.isWhitespace).map(String.init) {
            if word == "env" || (word.contains("=") && !word.hasPrefix("-")) { continue }
            return (word as NSString).lastPathComponent == "valgrind" ? word : nil
        }
        return nil
    }

    /// (major, minor) from `valgrind --version` ("valgrind-3.19.0").
    static func version(of program: String) -> (Int, Int)? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [program, "--version"]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let digits = out.drop { !$0.isNumber }.split(separator: ".").prefix(2).compactMap { Int($0.prefix { $0.isNumber }) }
        return digits.count == 2 ? (digits[0], digits[1]) : nil
    }

    /// The highest DWARF version among the units of an ELF file's `.debug_info`
    /// (nil: not ELF64, no or compressed debug info). One DWARF 5 unit (a C
    /// target's, say) is enough to make valgrind 3.19 give up.
    static func dwarfVersion(ofELF path: String) -> Int? {
        guard let fh = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? fh.close() }
        func read(_ offset: UInt64, _ count: Int) -> [UInt8]? {
            guard (try? fh.seek(toOffset: offset)) != nil, let d = try? fh.read(upToCount: count), d.count == count else { return nil }
            return [UInt8](d)
        }
        func le(_ b: [UInt8], _ at: Int, _ n: Int) -> UInt64 {
            (0..<n).reduce(UInt64(0)) { $0 | UInt64(b[at + $1]) << (8 * UInt64($1)) }
        }
        // ELF64, little-endian.
        guard let h = read(0, 64), Array(h[0...3]) == [0x7F, 0x45, 0x4C, 0x46], h[4] == 2, h[5] == 1 else { return nil }
        let shoff = le(h, 0x28, 8), shentsize = le(h, 0x3A, 2), shnum = le(h, 0x3C, 2), shstrndx = le(h, 0x3E, 2)
        guard shentsize >= 64, shnum > 0, shnum < 65_280, shstrndx < shnum else { return nil }
        func section(_ i: UInt64) -> (name: UInt64, flags: UInt64, offset: UInt64, size: UInt64)? {
            guard let s = read(shoff + i * shentsize, 64) else { return nil }
            return (le(s, 0, 4), le(s, 8, 8), le(s, 0x18, 8), le(s, 0x20, 8))
        }
        guard let strtab = section(shstrndx), strtab.size < 1 << 24, let names = read(strtab.offset, Int(strtab.size)) else { return nil }
        let target = Array(".debug_info".utf8) + [0]
        for i in 0..<shnum {
            guard let s = section(i), s.name + UInt64(target.count) <= UInt64(names.count),
                Array(names[Int(s.name)..<Int(s.name) + target.count]) == target
            else { continue }
            if s.flags & 0x800 != 0 { return nil }  // SHF_COMPRESSED
            var highest: Int?
            var at = s.offset
            while at + 14 <= s.offset + s.size, let head = read(at, 14) {
                let is64 = le(head, 0, 4) == 0xFFFF_FFFF
                let length = is64 ? le(head, 4, 8) : le(head, 0, 4)
                let version = Int(le(head, is64 ? 12 : 4, 2))
                guard length > 0, (2...5).contains(version) else { break }
                highest = max(highest ?? 0, version)
                at += length + (is64 ? 12 : 4)
            }
            return highest
        }
        return nil
    }

    /// The package root above a build-products directory (it has Package.swift and tools/valgrind/build.sh).
    static func packageRoot(above executable: String) -> String? {
        var dir = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let fm = FileManager.default
            if fm.fileExists(atPath: dir.appendingPathComponent("Package.swift").path),
                fm.isExecutableFile(atPath: dir.appendingPathComponent("tools/valgrind/build.sh").path)
            {
                return dir.path
            }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    static func decide(
        wrapper: String?, isolation: Bool, executable: String, timeoutScaleGiven: Bool,
        environment: [String: String]
    ) -> Decision {
        guard isolation, let w = wrapper, let vg = valgrindProgram(in: w), environment[marker] == nil else { return .proceed }
        if let v = version(of: vg), v >= (3, 20) { return .proceed }
        guard let dwarf = dwarfVersion(ofELF: executable), dwarf >= 5 else { return .proceed }
        let supported = "tools/valgrind/run.sh -f … (builds a DWARF 4 runner into .build-valgrind)"
        let product = (executable as NSString).lastPathComponent
        let command: [String]
        if let custom = environment[buildOverride], !custom.isEmpty {
            command = ["/bin/sh", "-c", custom, "assay-valgrind-build", product]
        } else if let root = packageRoot(above: executable) {
            command = [root + "/tools/valgrind/build.sh", product]
        } else {
            return .refuse(
                "error: --wrapper valgrind: this \(product) has DWARF \(dwarf) debug info, which valgrind before 3.20 cannot read, and its package sources are not here to build a DWARF 4 one; use \(supported)"
            )
        }
        FileHandle.standardError.write(
            Data(
                "assay: valgrind before 3.20 cannot read DWARF \(dwarf); re-running with a DWARF 4 build of \(product) (\(command.joined(separator: " ")))\n"
                    .utf8))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: command[0])
        p.arguments = Array(command.dropFirst())
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.standardError
        do { try p.run() } catch {
            return .refuse("error: --wrapper valgrind: cannot run \(command[0]) to build a DWARF 4 \(product): \(error.localizedDescription); use \(supported)")
        }
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let binary = out.split(separator: "\n").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard p.terminationStatus == 0, FileManager.default.isExecutableFile(atPath: binary) else {
            return .refuse("error: --wrapper valgrind: building a DWARF 4 \(product) failed (status \(p.terminationStatus)); use \(supported)")
        }
        var env = [marker: "1"]
        if !timeoutScaleGiven { env["ASSAY_TIMEOUT_SCALE"] = defaultTimeoutScale }
        return .reexec(binary: binary, environment: env)
    }

    /// Replaces this process with `binary` and the same arguments.
    static func exec(binary: String, arguments: [String], environment: [String: String]) -> Never {
        for (k, v) in environment { setenv(k, v, 1) }
        let argv = [binary] + arguments.dropFirst()
        var cargs = argv.map { strdup($0) } + [nil]
        execv(binary, &cargs)
        let e = errno
        FileHandle.standardError.write(Data("error: --wrapper valgrind: cannot execute \(binary): \(String(cString: strerror(e)))\n".utf8))
        exit(AssayMain.exitUsage)
    }
}
