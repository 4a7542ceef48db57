#!/usr/bin/env bash
# Builds a libFuzzer target (bench/fuzz/TARGET.swift compiled with the parser's sources, under
# -sanitize=fuzzer,address: response and sse fuzz HTTPWire, request fuzzes echo-server's parser;
# bench/fuzz/seeds/TARGET, when present, holds valid inputs to start from) and runs it for SECONDS, keeping its corpus in .build/fuzz/TARGET-corpus.
# Prints the corpus size and any crash file (a crash is a regression test to add).
#
# usage: bench/fuzz.sh response|sse|request [SECONDS (default 600)]
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${1:?usage: bench/fuzz.sh response|sse|request [SECONDS]}
SECONDS_TO_RUN=${2:-600}
OUT=.build/fuzz
mkdir -p "$OUT/$TARGET-corpus" "$OUT/$TARGET-crashes"
case "$TARGET" in
  response|sse) MODULE=HTTPWire; SOURCES=(Sources/HTTPWire/*.swift) ;;
  request) MODULE=EchoRequest; SOURCES=(bench/echo-server/RequestHead.swift bench/echo-server/RequestBodyFields.swift) ;;
  *) echo "usage: bench/fuzz.sh response|sse|request [SECONDS]"; exit 2 ;;
esac
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name "$MODULE" "${SOURCES[@]}" \
  "bench/fuzz/$TARGET.swift" -o "$OUT/$TARGET" 2>&1 | grep -v -e "^$" -e "Cannot export local symbol" || true
[ -x "$OUT/$TARGET" ] || { echo "fuzz.sh: build failed"; exit 1; }
set +e
"$OUT/$TARGET" -max_total_time="$SECONDS_TO_RUN" -artifact_prefix="$OUT/$TARGET-crashes/" -print_final_stats=1 \
  "$OUT/$TARGET-corpus" $( [ -d "bench/fuzz/seeds/$TARGET" ] && echo "bench/fuzz/seeds/$TARGET" ) 2> "$OUT/$TARGET.log"
status=$?
set -e
tail -n 25 "$OUT/$TARGET.log" | grep -E "stat::|Done|ERROR|SUMMARY" || true
echo "corpus: $(ls "$OUT/$TARGET-corpus" | wc -l) inputs; crashes: $(ls "$OUT/$TARGET-crashes" | wc -l)"
exit $status
