import Foundation
import Testing

/// The DocC articles (Sources/*/*.docc) show compiled code: an article with Swift blocks names its
/// source with `<!-- compiled: Examples/…/main.swift -->`, and every line of every ```swift block must
/// appear in that file, in order (leading and trailing spaces aside; the file may have more lines
/// between them). Editing an article's code without the example, or the example without the article,
/// fails here — and `swift build` compiles the example.
@Suite struct DocCArticleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Block {
        let article: String
        let line: Int
        let lines: [String]
    }

    /// The ```swift blocks of a Markdown text, with the line each starts on.
    static func swiftBlocks(_ text: String, article: String) -> [Block] {
        var blocks: [Block] = []
        var current: [String]? = nil
        var start = 0
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if current == nil, trimmed == "```swift" {
                current = []
                start = i + 1
            } else if current != nil, trimmed == "```" {
                blocks.append(Block(article: article, line: start, lines: current!))
                current = nil
            } else if current != nil {
                current!.append(String(line))
            }
        }
        return blocks
    }

    /// The first block line (1-based within the block) not found, in order, in `source`; nil if all are there.
    static func firstMissingLine(of block: Block, in source: String) -> Int? {
        let sourceLines = source.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        var next = 0
        for (n, line) in block.lines.enumerated() {
            let wanted = line.trimmingCharacters(in: .whitespaces)
            if wanted.isEmpty { continue }
            guard let found = sourceLines[next...].firstIndex(of: wanted) else { return n + 1 }
            next = found + 1
        }
        return nil
    }

    static func articles() throws -> [String] {
        let fm = FileManager.default
        var out: [String] = []
        for module in try fm.contentsOfDirectory(atPath: root.appendingPathComponent("Sources").path).sorted() {
            let catalog = "Sources/\(module)/\(module).docc"
            guard let files = try? fm.contentsOfDirectory(atPath: root.appendingPathComponent(catalog).path) else { continue }
            out += files.filter { $0.hasSuffix(".md") }.sorted().map { "\(catalog)/\($0)" }
        }
        return out
    }

    @Test("every Swift block of a DocC article is in its compiled example, in order")
    func articleBlocksAreCompiledCode() throws {
        let articles = try Self.articles()
        #expect(articles.contains("Sources/JSec/JSec.docc/GettingStarted.md"), "found: \(articles)")
        var checked = 0
        for article in articles {
            let text = try String(contentsOf: Self.root.appendingPathComponent(article), encoding: .utf8)
            let blocks = Self.swiftBlocks(text, article: article)
            if blocks.isEmpty { continue }
            let path = try #require(
                text.firstMatch(of: /<!-- compiled: (\S+) -->/)?.1, "\(article) has Swift blocks but no <!-- compiled: Examples/… --> line")
            #expect(path.hasPrefix("Examples/"), "\(article): \(path) is not under Examples/")
            let source = try String(contentsOf: Self.root.appendingPathComponent(String(path)), encoding: .utf8)
            for block in blocks {
                if let n = Self.firstMissingLine(of: block, in: source) {
                    Issue.record(
                        "\(article):\(block.line + n): '\(block.lines[n - 1].trimmingCharacters(in: .whitespaces))' is not in \(path) (in order after the block's earlier lines)"
                    )
                }
                checked += 1
            }
        }
        #expect(checked >= 10, "Swift blocks checked: \(checked)")
    }

    /// The build's bin directory (where the test bundle is), if it has the modules tools/docs/build documents.
    static let binPath: String? = {
        let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        let modules = ["JSec", "JSecCrypto"].map { "\(bin)/Modules/\($0).swiftmodule" }
        return modules.allSatisfy { FileManager.default.fileExists(atPath: $0) } ? bin : nil
    }()

    /// tools/docs/build treats DocC warnings as errors: a copy of the JSec catalog with one unresolvable
    /// symbol link makes it exit 1 naming the link (about 3 s: symbol graph extraction and one `docc convert`).
    @Test("a broken ``link`` in an article fails tools/docs/build", .enabled(if: binPath != nil, "JSec's module is not next to the test bundle"))
    func brokenLinkFailsTheDocsBuild() throws {
        let fm = FileManager.default
        let tmp = fm.temporaryDirectory.appendingPathComponent("jsec-docc-\(ProcessInfo.processInfo.processIdentifier)")
        defer { try? fm.removeItem(at: tmp) }
        try fm.createDirectory(at: tmp, withIntermediateDirectories: true)
        let catalog = tmp.appendingPathComponent("JSec.docc")
        try fm.copyItem(at: Self.root.appendingPathComponent("Sources/JSec/JSec.docc"), to: catalog)
        let article = catalog.appendingPathComponent("GettingStarted.md")
        let text = try String(contentsOf: article, encoding: .utf8)
        try (text + "\nSee also ``NetStream/noSuchMethod()``.\n").write(to: article, atomically: true, encoding: .utf8)

        let log = tmp.appendingPathComponent("log")
        _ = fm.createFile(atPath: log.path, contents: nil)
        let output = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Self.root.appendingPathComponent("tools/docs/build").path, "JSec"]
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["DOCS_BIN_PATH": Self.binPath!, "DOCS_CATALOGS": tmp.path, "DOCS_OUTPUT": tmp.appendingPathComponent("out").path]
        ) { $1 }
        process.standardOutput = output
        process.standardError = output
        try process.run()
        process.waitUntilExit()
        try output.close()
        let printed = try String(contentsOf: log, encoding: .utf8)
        #expect(process.terminationStatus == 1, "\(printed)")
        #expect(printed.contains("'noSuchMethod()' doesn't exist at '/JSec/NetStream'"), "\(printed)")
        #expect(printed.contains("docs: JSec: docc convert failed (warnings are errors)"), "\(printed)")
    }

    @Test("the checker itself: order matters, extra source lines do not")
    func checker() {
        let block = Block(article: "a.md", line: 1, lines: ["  let a = 1", "", "print(a)"])
        #expect(Self.firstMissingLine(of: block, in: "let a = 1\nlet b = 2\n    print(a)\n") == nil)
        #expect(Self.firstMissingLine(of: block, in: "print(a)\nlet a = 1\n") == 3)
        #expect(Self.firstMissingLine(of: block, in: "let a = 2\nprint(a)\n") == 1)
        let blocks = Self.swiftBlocks("x\n```swift\nlet a = 1\n```\n```\nnot swift\n```\n", article: "a.md")
        #expect(blocks.count == 1 && blocks[0].lines == ["let a = 1"])
    }
}
