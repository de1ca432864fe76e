#!/bin/sh
# Build PRODUCT (default runner) with DWARF 4 debug info into .build-valgrind
# and print the binary's path on stdout (build output goes to stderr).
# valgrind 3.19 aborts on Swift's default DWARF 5 ("Possibly corrupted
# debuginfo file"). Used by run.sh and by the runner itself when it is given
# --wrapper 'valgrind …' on a DWARF 5 build (docs/assay.md, "Valgrind").
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
PRODUCT=${1:-runner}
build() {
    # Share the machine's build lock when there is one (developers' machines).
    if command -v flock >/dev/null 2>&1; then flock /tmp/swift-build.lock "$@"; else "$@"; fi
}
FLAGS="--scratch-path .build-valgrind -Xswiftc -dwarf-version=4 -Xcc -gdwarf-4"
# shellcheck disable=SC2086
build swift build --product "$PRODUCT" $FLAGS >&2
# shellcheck disable=SC2086
echo "$(build swift build $FLAGS --show-bin-path)/$PRODUCT"
