#!/bin/sh
# AddressSanitizer run of the unit category (issue 7 item 6).
#
#   tools/sanitizers/asan.sh                    # unit, ensured subset (what CI runs)
#   tools/sanitizers/asan.sh -f unit            # any runner options replace the defaults
#
# Builds the runner with -sanitize=address into its own scratch path (.build-asan), leaving
# .build alone, then runs it. Every suite worker is the same instrumented binary, so a report in
# any worker makes that worker exit non-zero and the runner fails that suite. Reports go to the
# worker's stderr (shown by the runner, in full with --verbosity 6) and, with log_path, to
# .build-asan/asan-logs/asan.<pid>.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
build() {
    # Share the machine's build lock when there is one.
    if command -v flock >/dev/null 2>&1; then flock /tmp/swift-build.lock "$@"; else "$@"; fi
}
build swift build --product runner --scratch-path .build-asan -Xswiftc -sanitize=address >&2
BIN="$(swift build --scratch-path .build-asan -Xswiftc -sanitize=address --show-bin-path)/runner"
mkdir -p .build-asan/asan-logs
rm -f .build-asan/asan-logs/asan.*
# LeakSanitizer runs too (at each process's exit); lsan.supp holds the commented toolchain leaks.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:exitcode=23:log_path=$ROOT/.build-asan/asan-logs/asan:print_summary=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$ROOT/tools/sanitizers/lsan.supp:print_suppressions=0}"
if [ $# -eq 0 ]; then set -- -f unit --ensured-only; fi
status=0
"$BIN" --timeout-scale "${ASSAY_ASAN_TIMEOUT_SCALE:-4}" "$@" || status=$?
if ls .build-asan/asan-logs/asan.* >/dev/null 2>&1; then
    echo "AddressSanitizer reports:" >&2
    cat .build-asan/asan-logs/asan.* >&2
    [ "$status" -eq 0 ] && status=1
fi
exit $status
