import Foundation
import Testing
@testable import Assay

/// Thousands of `-f` options are linear, not quadratic: they are taken out of the argument list
/// before ArgumentParser (whose parsing rescans the remaining arguments for each one).
@Suite("many -f options")
struct RepeatedOptionsTests {
    @Test("-f/--filter/--skip (spaced or with =) are taken out in order; the rest and anything after -- stay")
    func extraction() {
        let e = RepeatedOptions.extract([
            "-f", "a/b", "--json", "r.json", "--filter", "c", "--filter=d[x=1]", "--skip", "e", "--skip=f", "-v", "-f",
            "-x", "--", "-f", "g",
        ])
        #expect(e.filters == ["a/b", "c", "d[x=1]"])
        #expect(e.skips == ["e", "f"])
        // "-f" followed by an option is left to ArgumentParser (it reports the missing value), as is all after "--".
        #expect(e.rest == ["--json", "r.json", "-v", "-f", "-x", "--", "-f", "g"])
        #expect(RepeatedOptions.extract(["-f"]).rest == ["-f"])
    }

    /// No wall-clock bound here (a functional test must not time itself): linearity comes from the extraction
    /// above, which ArgumentParser never sees; measured by hand, 5,000 filters plan in ~5 s (86 s before).
    @Test("5,000 -f options select what one does")
    func fiveThousandFilters() throws {
        let args = Array(repeating: ["-f", "fixtures/spread"], count: 5_000).flatMap { $0 }
        let r = try Fixture.run(args + ["--dry-run"])
        #expect(r.status == 0, "\(r.stderr)")
        // The same selection as one -f.
        let one = try Fixture.run(["-f", "fixtures/spread", "--dry-run"])
        #expect(r.stdout == one.stdout)
    }
}
