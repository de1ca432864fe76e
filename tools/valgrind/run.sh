#!/bin/sh
# Run Assay suites with every suite worker under valgrind memcheck.
#
#   tools/valgrind/run.sh -f unit            # any runner options follow
#   ASSAY_VALGRIND_PRODUCT=AssayFixtureRunner tools/valgrind/run.sh -f fixtures/basics
#
# valgrind 3.19 aborts on Swift's default DWARF 5 debug info ("Possibly
# corrupted debuginfo file"), so the binary is built with DWARF 4 into its
# own scratch path (.build-valgrind), leaving the normal .build alone.
# Only the workers run under valgrind (--wrapper); the runner itself does
# not. A worker with leaks or memory errors exits 99, which the runner
# reports as that suite's failure. Timeouts are scaled (valgrind is slow).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
PRODUCT=${ASSAY_VALGRIND_PRODUCT:-runner}
SCALE=${ASSAY_VALGRIND_TIMEOUT_SCALE:-30}
BIN=$(tools/valgrind/build.sh "$PRODUCT")
VALGRIND="valgrind --quiet --leak-check=full --show-leak-kinds=definite,possible"
VALGRIND="$VALGRIND --errors-for-leak-kinds=definite,possible --error-exitcode=99"
VALGRIND="$VALGRIND --num-callers=40 --suppressions=$ROOT/tools/valgrind/swift-runtime.supp"
exec "$BIN" --timeout-scale "$SCALE" --wrapper "${ASSAY_VALGRIND:-$VALGRIND}" "$@"
