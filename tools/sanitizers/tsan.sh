#!/bin/sh
# ThreadSanitizer run of the unit category (issue 7 item 6).
#
#   tools/sanitizers/tsan.sh                    # the whole unit category
#   tools/sanitizers/tsan.sh -f unit --ensured-only
#
# Builds the runner with -sanitize=thread into .build-tsan, then runs it. A data race reported in
# any suite worker makes it exit non-zero (exitcode=66), which the runner reports as that suite's
# failure; the reports are collected from .build-tsan/tsan-logs. Suppressions: tsan.supp (commented,
# toolchain/runtime noise only).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
build() {
    if command -v flock >/dev/null 2>&1; then flock /tmp/swift-build.lock "$@"; else "$@"; fi
}
build swift build --product runner --scratch-path .build-tsan -Xswiftc -sanitize=thread >&2
BIN="$(swift build --scratch-path .build-tsan -Xswiftc -sanitize=thread --show-bin-path)/runner"
mkdir -p .build-tsan/tsan-logs
rm -f .build-tsan/tsan-logs/tsan.*
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=0:exitcode=66:log_path=$ROOT/.build-tsan/tsan-logs/tsan:suppressions=$ROOT/tools/sanitizers/tsan.supp}"
if [ $# -eq 0 ]; then set -- -f unit; fi
status=0
"$BIN" --timeout-scale "${ASSAY_TSAN_TIMEOUT_SCALE:-6}" "$@" || status=$?
if ls .build-tsan/tsan-logs/tsan.* >/dev/null 2>&1; then
    # With print_suppressions=1 a log may hold only "Matched N suppressions": not a report.
    if grep -l "WARNING: ThreadSanitizer" .build-tsan/tsan-logs/tsan.* >/dev/null 2>&1; then
        echo "ThreadSanitizer reports:" >&2
        cat .build-tsan/tsan-logs/tsan.* >&2
        [ "$status" -eq 0 ] && status=1
    else
        echo "ThreadSanitizer: no report; suppressions used:" >&2
        cat .build-tsan/tsan-logs/tsan.* >&2
    fi
fi
exit $status
