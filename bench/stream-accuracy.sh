#!/usr/bin/env bash
# Streaming metric accuracy: TTFT, ITL and TPOT measured by a release build of loadgen against
# echo-server injecting known delays (TTFT 50 ms, ITL 10 ms by default), at several concurrencies.
# Prints each median, its error against the truth, and PASS when within 1 ms (the issue's bar).
#
# usage: bench/stream-accuracy.sh [LEVELS (default "1 100 1000")] [TTFT_MS (50)] [ITL_MS (10)] [TOKENS (20)]
set -euo pipefail
cd "$(dirname "$0")/.."
LEVELS=${1:-"1 100 1000"}
TTFT=${2:-50}
ITL=${3:-10}
TOKENS=${4:-20}

source bench/common.sh

start_echo_server "$BIN/echo-server" --port 0 --threads "${SERVER_THREADS:-2}" --ttft-ms "$TTFT" --itl-ms "$ITL"
BASE=$SERVER_URL

# p50 of one metric object ("ttft_ms":{...,"p50":X,...}) in the run's JSON.
p50() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]]['p50'])" "$WORK/out.json" "$1"; }

printf "%-6s %-6s %10s %10s %8s\n" "conc" "metric" "truth ms" "p50 ms" "result"
for c in $LEVELS; do
  # Three rounds of requests per connection after a warmup that opens the connections.
  "$BIN/loadgen" run --base-url "$BASE" --model echo --stream --input-tokens 100 --max-tokens "$TOKENS" \
    -c "$c" -n $((c * 3)) --warmup 1s --json --quiet > "$WORK/out.json"
  for metric in ttft itl tpot; do
    truth=$([ "$metric" = ttft ] && echo "$TTFT" || echo "$ITL")
    value=$(p50 "${metric}_ms")
    awk -v c="$c" -v m="$metric" -v t="$truth" -v v="$value" 'BEGIN {
      d = v - t; if (d < 0) d = -d
      printf "%-6s %-6s %10.3f %10.3f %8s\n", c, m, t, v, (d <= 1 ? "PASS" : "FAIL") }'
  done
done
