#!/usr/bin/env bash
# Builds a libFuzzer target (bench/fuzz/TARGET.swift compiled with the parser's sources, under
# -sanitize=fuzzer,address) and runs it for SECONDS, keeping its corpus in .build/fuzz/TARGET-corpus.
# Prints the corpus size and any crash file (a crash is a regression test to add).
#
# usage: bench/fuzz.sh response|sse [SECONDS (default 600)]
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${1:?usage: bench/fuzz.sh response|sse [SECONDS]}
SECONDS_TO_RUN=${2:-600}
OUT=.build/fuzz
mkdir -p "$OUT/$TARGET-corpus" "$OUT/$TARGET-crashes"
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name HTTPWire Sources/HTTPWire/*.swift \
  "bench/fuzz/$TARGET.swift" -o "$OUT/$TARGET" 2>&1 | grep -v -e "^$" -e "Cannot export local symbol" || true
[ -x "$OUT/$TARGET" ] || { echo "fuzz.sh: build failed"; exit 1; }
set +e
"$OUT/$TARGET" -max_total_time="$SECONDS_TO_RUN" -artifact_prefix="$OUT/$TARGET-crashes/" -print_final_stats=1 \
  "$OUT/$TARGET-corpus" 2> "$OUT/$TARGET.log"
status=$?
set -e
tail -n 25 "$OUT/$TARGET.log" | grep -E "stat::|Done|ERROR|SUMMARY" || true
echo "corpus: $(ls "$OUT/$TARGET-corpus" | wc -l) inputs; crashes: $(ls "$OUT/$TARGET-crashes" | wc -l)"
exit $status
