/// Output format of a report.
public enum ReportFormat: String, Sendable, CaseIterable {
    case text, json, markdown
}

/// One analyzer run with parsed options, independent of the command line
/// so tests can run it in-process. `execute()` never exits the process.
public struct AnalyzerInvocation: Sendable {
    public var files: [String]
    public var compare: Bool
    public var detail: ReportDetail
    public var format: ReportFormat
    public var plotDirectory: String?
    public var failOnRegression: Double?

    /// Exit statuses.
    public static let ok: Int32 = 0
    public static let badInput: Int32 = 2
    public static let regression: Int32 = 3

    public init(
        files: [String], compare: Bool = false, detail: ReportDetail = .normal, format: ReportFormat = .text,
        plotDirectory: String? = nil, failOnRegression: Double? = nil
    ) {
        self.files = files
        self.compare = compare
        self.detail = detail
        self.format = format
        self.plotDirectory = plotDirectory
        self.failOnRegression = failOnRegression
    }

    public struct Outcome: Sendable, Equatable {
        public var stdout: String
        /// One line per problem, without the program name.
        public var stderr: [String]
        public var status: Int32
    }

    public func execute() -> Outcome {
        var files: [LoadedFile] = []
        for f in self.files {
            do {
                files.append(try ResultsLoader.loadFile(path: f))
            } catch {
                return Outcome(stdout: "", stderr: [error.description], status: Self.badInput)
            }
        }
        let loaded = files.map(\.cases)
        var notes: [String] = []
        let out: String
        var status = Self.ok
        if compare {
            let report = ComparisonReport(
                oldFiles: [files[0].summary], old: loaded[0], newFiles: [files[1].summary], new: loaded[1],
                failOnRegression: failOnRegression)
            switch format {
            case .text: out = TextReport.render(report)
            case .markdown: out = MarkdownReport.render(report)
            case .json: out = JSONReport.render(report)
            }
            if !report.regressions.isEmpty {
                status = Self.regression
                notes.append("regression: \(report.regressions.count) group(s) dropped more than \(TextReport.fmt(failOnRegression ?? 0))% (p < \(GroupComparison.alpha))")
            }
            if let dir = plotDirectory {
                let sets = [("OLD", loaded[0].map(TestSummary.init)), ("NEW", loaded[1].map(TestSummary.init))]
                do { notes += try Plots.write(sets, to: dir).map { "wrote \($0)" } } catch {
                    return Outcome(stdout: out, stderr: ["\(dir): cannot write plots: \(error.localizedDescription)"], status: Self.badInput)
                }
            }
        } else {
            let analysis = Analysis(files: self.files, cases: loaded.flatMap { $0 }, inputs: files.map(\.summary))
            switch format {
            case .text: out = TextReport.render(analysis, detail: detail)
            case .markdown: out = MarkdownReport.render(analysis, detail: detail)
            case .json: out = JSONReport.render(analysis, detail: detail)
            }
            if let dir = plotDirectory {
                do { notes += try Plots.write([("", analysis.tests)], to: dir).map { "wrote \($0)" } } catch {
                    return Outcome(stdout: out, stderr: ["\(dir): cannot write plots: \(error.localizedDescription)"], status: Self.badInput)
                }
            }
        }
        return Outcome(stdout: out, stderr: notes, status: status)
    }
}
