/// Output format of a report.
package enum ReportFormat: String, Sendable, CaseIterable {
    case text, json, markdown
}

/// One analyzer run with parsed options, independent of the command line
/// so tests can run it in-process. `execute()` never exits the process.
package struct AnalyzerInvocation: Sendable {
    package var files: [String]
    package var compare: Bool
    package var detail: ReportDetail
    package var format: ReportFormat
    package var plotDirectory: String?
    package var failOnRegression: Double?
    package var compareOptions: CompareOptions

    /// Exit statuses.
    package static let ok: Int32 = 0
    /// `--fail-on-regression`: a metric significantly slower past the limit (a CI gate).
    package static let regression: Int32 = 1
    package static let badInput: Int32 = 2

    package init(
        files: [String], compare: Bool = false, detail: ReportDetail = .normal, format: ReportFormat = .text,
        plotDirectory: String? = nil, failOnRegression: Double? = nil, compareOptions: CompareOptions = .init()
    ) {
        self.compareOptions = compareOptions
        self.files = files
        self.compare = compare
        self.detail = detail
        self.format = format
        self.plotDirectory = plotDirectory
        self.failOnRegression = failOnRegression
    }

    package struct Outcome: Sendable, Equatable {
        package var stdout: String
        /// One line per problem, without the program name.
        package var stderr: [String]
        package var status: Int32
    }

    package func execute() -> Outcome {
        var files: [LoadedFile] = []
        for f in self.files {
            do {
                // --compare: a side may be several files, comma-separated (runs of OLD and NEW
                // alternated in time, so drift of the machine hits both sides alike).
                let parts = compare ? f.split(separator: ",").map(String.init) : [f]
                files.append(LoadedFile(joining: try parts.map { path throws(LoadError) in try ResultsLoader.loadFile(path: path) }))
            } catch {
                return Outcome(stdout: "", stderr: [error.description], status: Self.badInput)
            }
        }
        let loaded = files.map(\.cases)
        var notes: [String] = []
        let out: String
        var status = Self.ok
        if compare {
            let report = ComparisonReport(old: files[0], new: files[1], options: compareOptions, failOnRegression: failOnRegression)
            if report.nothingInCommon {
                return Outcome(stdout: "", stderr: [report.nothingInCommonText(old: self.files[0], new: self.files[1])], status: Self.badInput)
            }
            switch format {
            case .text: out = TextReport.render(report)
            case .markdown: out = MarkdownReport.render(report)
            case .json: out = JSONReport.render(report)
            }
            notes += report.warnings.map { "warning: the runs differ — \($0)" }
            if !report.withheld.isEmpty {
                notes.append(
                    "warning: \(report.withheld.count) verdict(s) withheld (faster?/slower?, not counted by --fail-on-regression): "
                        + "conditions differ: \(report.conditions.joined(separator: ", "))")
            }
            if !report.regressions.isEmpty {
                status = Self.regression
                notes.append("regression: \(report.regressions.count) metric(s) significantly slower by more than \(TextReport.fmt(failOnRegression ?? 0))%")
            }
            if let dir = plotDirectory {
                do { notes += try Plots.write(report, to: dir).map { "wrote \($0)" } } catch {
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
                do { notes += try Plots.write(analysis.tests, to: dir).map { "wrote \($0)" } } catch {
                    return Outcome(stdout: out, stderr: ["\(dir): cannot write plots: \(error.localizedDescription)"], status: Self.badInput)
                }
            }
        }
        return Outcome(stdout: out, stderr: notes, status: status)
    }
}
