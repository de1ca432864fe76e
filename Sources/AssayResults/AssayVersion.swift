/// The harness's version, printed by `runner --version` and `analyzer --version`.
public enum AssayVersion {
    public static let number = "1.1.0"
    /// "1.1.0 (results schema 1)".
    public static var text: String { "\(number) (results schema \(RunResults.currentSchemaVersion))" }
}
