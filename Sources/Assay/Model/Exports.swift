// Suites write `import Assay` only; the value and result types they touch
// (AssayValue, JSONValue, CaseStatus…) live in AssayResults.
@_exported import AssayResults
