#!/bin/sh
# Line coverage of Sources/JSec and Sources/JSecCrypto from the {unit,regression} suites (issue 7 item 4).
#
#   tools/coverage/report.sh                              # build, run, print the per-file report
#   tools/coverage/report.sh -f 'unit/tls-matrix' --ensured-only   # other runner options instead of the defaults
#
# Builds the runner with profiling and coverage mapping into .build-cov, runs the suites with
# every suite worker writing its own raw profile (LLVM_PROFILE_FILE with %p), merges them with
# llvm-profdata and prints `llvm-cov report` for the library's files. The HTML report is
# written with COVERAGE_HTML=dir.
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
# shellcheck disable=SC2086
BIN="$(swift build --scratch-path .build-cov $FLAGS --show-bin-path)/runner"
PROFILES="$ROOT/.build-cov/profiles"
rm -rf "$PROFILES"; mkdir -p "$PROFILES"
if [ $# -eq 0 ]; then set -- -f '{unit,regression}'; fi
status=0
LLVM_PROFILE_FILE="$PROFILES/cov-%p.profraw" "$BIN" "$@" >&2 || status=$?
"$TOOLS/llvm-profdata" merge -sparse "$PROFILES"/*.profraw -o "$PROFILES/merged.profdata"
SOURCES="$ROOT/Sources/JSec $ROOT/Sources/JSecCrypto"
# shellcheck disable=SC2086
"$TOOLS/llvm-cov" report "$BIN" -instr-profile="$PROFILES/merged.profdata" $SOURCES \
    | sed "s|$ROOT/||" | tee "$PROFILES/report.txt"
# Line coverage per module (columns 8 and 9 of llvm-cov's table are lines and missed lines).
awk '$1 ~ /^JSec(Crypto)?\// { split($1, p, "/"); l[p[1]] += $8; m[p[1]] += $9 }
     END { for (k in l) printf "%-11s lines %5d  missed %5d  line coverage %.2f%%\n", k, l[k], m[k], 100 * (l[k] - m[k]) / l[k] }' \
    "$PROFILES/report.txt" | sort
if [ -n "${COVERAGE_HTML:-}" ]; then
    # shellcheck disable=SC2086
    "$TOOLS/llvm-cov" show "$BIN" -instr-profile="$PROFILES/merged.profdata" -format=html -output-dir="$COVERAGE_HTML" $SOURCES
fi
[ "$status" -eq 0 ] || echo "note: the runner exited $status (coverage is still reported)" >&2
exit $status
