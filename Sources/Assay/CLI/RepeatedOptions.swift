/// `-f X`, `--filter X`, `--filter=X` and `--skip X`, `--skip=X`, taken out of the argument list before
/// ArgumentParser parses the rest: its parsing costs O(n) per argument (it rescans and shifts the
/// remaining arguments and copies the array of values parsed so far), so thousands of `-f` options
/// (a list of cases to re-run, say) took quadratic time: 2,000 took 7 s, 5,000 over 30 s. Taking them
/// out here is one pass. Everything else — a missing value (`-f` last, or followed by another
/// option), `-fX`, anything after `--` — is left where it is for ArgumentParser to judge as before.
package enum RepeatedOptions {
    package struct Extracted: Equatable, Sendable {
        package var rest: [String] = []
        package var filters: [String] = []
        package var skips: [String] = []
    }

    package static func extract(_ args: [String]) -> Extracted {
        var out = Extracted()
        out.rest.reserveCapacity(args.count)
        var i = 0
        while i < args.count {
            let a = args[i]
            if a == "--" {
                out.rest.append(contentsOf: args[i...])
                break
            }
            if a.hasPrefix("--filter=") {
                out.filters.append(String(a.dropFirst("--filter=".count)))
            } else if a.hasPrefix("--skip=") {
                out.skips.append(String(a.dropFirst("--skip=".count)))
            } else if a == "-f" || a == "--filter" || a == "--skip", i + 1 < args.count, !args[i + 1].hasPrefix("-") {
                if a == "--skip" { out.skips.append(args[i + 1]) } else { out.filters.append(args[i + 1]) }
                i += 2
                continue
            } else {
                out.rest.append(a)
            }
            i += 1
        }
        return out
    }
}
