#!/bin/sh
# Line coverage of Sources/JSec and Sources/JSecCrypto from the {unit,regression,coverage} suites
# plus the `swift test` self-tests (issue 7 item 4).
#
#   tools/coverage/report.sh                              # build, run, print the per-file report
#   tools/coverage/report.sh -f 'unit/tls-matrix' --ensured-only   # other runner options instead of the defaults
#   COVERAGE_SWIFT_TESTS=0 tools/coverage/report.sh       # the Assay suites only
#
# Builds the runner (and the swift-testing bundle) with profiling and coverage mapping into
# .build-cov, runs the suites with every suite worker writing its own raw profile
# (LLVM_PROFILE_FILE with %p), runs the swift-testing bundle the same way, merges the profiles
# with llvm-profdata and prints `llvm-cov report` for the library's files over both binaries,
# then a Markdown table of line coverage per file and per module (also in
# .build-cov/profiles/coverage.md). The HTML report is written with COVERAGE_HTML=dir.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
TOOLS=${LLVM_TOOLS:-/opt/swift/usr/bin}
FLAGS="-Xswiftc -profile-generate -Xswiftc -profile-coverage-mapping"
build() {
    if command -v flock >/dev/null 2>&1; then flock /tmp/swift-build.lock "$@"; else "$@"; fi
}
# shellcheck disable=SC2086
build swift build --product runner --scratch-path .build-cov $FLAGS >&2
SWIFT_TESTS=${COVERAGE_SWIFT_TESTS:-1}
# shellcheck disable=SC2086
[ "$SWIFT_TESTS" = 0 ] || build swift build --build-tests --scratch-path .build-cov $FLAGS >&2
# shellcheck disable=SC2086
BINDIR="$(swift build --scratch-path .build-cov $FLAGS --show-bin-path)"
BIN="$BINDIR/runner"
PROFILES="$ROOT/.build-cov/profiles"
rm -rf "$PROFILES"; mkdir -p "$PROFILES"
if [ $# -eq 0 ]; then set -- -f '{unit,regression,coverage}'; fi
status=0
LLVM_PROFILE_FILE="$PROFILES/cov-%p.profraw" "$BIN" "$@" >&2 || status=$?
OBJECTS=""
if [ "$SWIFT_TESTS" != 0 ]; then
    # The swift-testing bundle, run directly (never `swift test`: it would rebuild without the flags).
    XCTEST="$BINDIR/jsecPackageTests.xctest"
    LLVM_PROFILE_FILE="$PROFILES/test-%p.profraw" timeout -s KILL 1200 "$XCTEST" --testing-library swift-testing >&2 || status=$?
    OBJECTS="-object $XCTEST"
fi
"$TOOLS/llvm-profdata" merge -sparse "$PROFILES"/*.profraw -o "$PROFILES/merged.profdata"
SOURCES="$ROOT/Sources/JSec $ROOT/Sources/JSecCrypto"
# shellcheck disable=SC2086
"$TOOLS/llvm-cov" report "$BIN" $OBJECTS -instr-profile="$PROFILES/merged.profdata" $SOURCES \
    | sed "s|$ROOT/||" | tee "$PROFILES/report.txt"
# The same as a Markdown table of line coverage per file (llvm-cov names files relative to Sources/).
awk 'BEGIN { print "| file | lines | missed | line coverage |"; print "|---|---:|---:|---:|" }
     $1 ~ /^JSec(Crypto)?\// { printf "| %s | %d | %d | %s |\n", $1, $8, $9, $10 }' \
    "$PROFILES/report.txt" | tee "$PROFILES/coverage.md"
# Line coverage per module (columns 8 and 9 of llvm-cov's table are lines and missed lines).
awk '$1 ~ /^JSec(Crypto)?\// { split($1, p, "/"); l[p[1]] += $8; m[p[1]] += $9 }
     END { for (k in l) printf "%-11s lines %5d  missed %5d  line coverage %.2f%%\n", k, l[k], m[k], 100 * (l[k] - m[k]) / l[k] }' \
    "$PROFILES/report.txt" | sort
if [ -n "${COVERAGE_HTML:-}" ]; then
    # shellcheck disable=SC2086
    "$TOOLS/llvm-cov" show "$BIN" $OBJECTS -instr-profile="$PROFILES/merged.profdata" -format=html -output-dir="$COVERAGE_HTML" $SOURCES
fi
[ "$status" -eq 0 ] || echo "note: the runner exited $status (coverage is still reported)" >&2
exit $status
