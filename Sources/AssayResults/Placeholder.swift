// AssayResults
