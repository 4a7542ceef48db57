#!/usr/bin/env bash
# The test suite under AddressSanitizer, then ThreadSanitizer (each a separate build in its own
# .build directory, several minutes on two cores). Exits non-zero if either finds anything.
#
# usage: bench/sanitize.sh [address|thread|both (default both)] [FILTER (a swift test --filter)]
set -euo pipefail
cd "$(dirname "$0")/.."
WHICH=${1:-both}
FILTER=${2:-}
run() {
  local sanitizer=$1
  echo "== swift test --sanitize=$sanitizer ${FILTER:+--filter $FILTER}"
  swift build --build-tests --sanitize="$sanitizer" --scratch-path ".build-$sanitizer" 2>&1 | grep -E "error|warning: " || true
  # halt_on_error: the first report fails the run instead of scrolling past.
  # Sanitized client and server run several times slower: timing tests widen their tolerances,
  # and the memory-bound test skips its RSS check (shadow memory moves RSS on its own).
  local slack=4; [ "$sanitizer" = thread ] && slack=10
  LOADGEN_SANITIZER=$sanitizer LOADGEN_TIMING_SLACK=$slack ASAN_OPTIONS=halt_on_error=1:detect_leaks=0 TSAN_OPTIONS=halt_on_error=1 \
    swift test --skip-build --sanitize="$sanitizer" --scratch-path ".build-$sanitizer" ${FILTER:+--filter "$FILTER"}
}
case "$WHICH" in
  address|thread) run "$WHICH" ;;
  both) run address; run thread ;;
  *) echo "usage: bench/sanitize.sh [address|thread|both] [FILTER]"; exit 2 ;;
esac
