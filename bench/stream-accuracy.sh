#!/usr/bin/env bash
# Streaming metric accuracy: TTFT, ITL and TPOT measured by a release build of loadgen against
# echo-server injecting known delays (TTFT 50 ms, ITL 10 ms by default), at several concurrencies,
# with no warmup (1,000 streams connect and start together). One row per level: each median
# (kernel-stamped), PASS when all three are within 1 ms of the truth, and beside them what says
# who was late: the client lag (loadgen's clock at a read minus the kernel's receive time),
# echo-server's own lateness (a token's send minus its due time, from GET /stats) and loadgen's
# verdict on itself; all in ms. A fresh echo-server per level, so its lateness is the level's.
#
# usage: bench/stream-accuracy.sh [LEVELS (default "1 100 1000 2000")] [TTFT_MS (50)] [ITL_MS (10)] [TOKENS (20)]
# env:   SERVER_THREADS (2), STAMP (kernel; user: the client's clock, as before), WARMUP (none;
#        e.g. 1s), ROUNDS (3: requests per connection)
set -euo pipefail
cd "$(dirname "$0")/.."
LEVELS=${1:-"1 100 1000 2000"}
TTFT=${2:-50}
ITL=${3:-10}
TOKENS=${4:-20}
STAMP=${STAMP:-kernel}
ROUNDS=${ROUNDS:-3}

source bench/common.sh

WARMUP_FLAGS=()
[ -n "${WARMUP:-}" ] && WARMUP_FLAGS=(--warmup "$WARMUP")

# One row from loadgen's JSON and echo-server's /stats JSON.
report() {
  python3 - "$WORK/out.json" "$WORK/stats.json" "$1" "$TTFT" "$ITL" <<'EOF'
import json, sys
run = json.load(open(sys.argv[1])); stats = json.load(open(sys.argv[2]))
level, ttft, itl = sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
def spread(d): return "%.3f/%.3f/%.3f" % (d["p50"], d["p99"], d["max"])
medians = [(metric, run[metric + "_ms"]["p50"], truth) for metric, truth in (("ttft", ttft), ("itl", itl), ("tpot", itl))]
off = [metric for metric, value, truth in medians if abs(value - truth) > 1]
result = "PASS" if not off else "FAIL:" + ",".join(off)
if run["succeeded"] != run["requests"]: result += " (%d of %d ok)" % (run["succeeded"], run["requests"])
verdict = run["client_verdict"]
client = "kept up" if verdict["kept_up"] else "behind: " + ",".join(verdict["exceeded"])
print("%-6s %9.3f %9.3f %9.3f  %-10s %-23s %-23s %s" % ((level,) + tuple(v for _, v, _ in medians)
      + (result, spread(run["client_lag_ms"]), spread(stats["stream_token_lateness_ms"]), client)))
EOF
}

printf "%-6s %9s %9s %9s  %-10s %-23s %-23s %s\n" "conc" "TTFT p50" "ITL p50" "TPOT p50" "within 1" \
  "client lag p50/p99/max" "server late p50/p99/max" "client verdict"
for c in $LEVELS; do
  # The previous level's address must not be read as this one's.
  rm -f "$WORK/server.out"
  # exec keeps the PID; its report at exit (the same figures as /stats) goes to a file.
  start_echo_server sh -c 'exec "$0" "$@" 2>>"'"$WORK"'/server.err"' "$BIN/echo-server" \
    --port 0 --threads "${SERVER_THREADS:-2}" --ttft-ms "$TTFT" --itl-ms "$ITL" --stats
  "$BIN/loadgen" run --base-url "$SERVER_URL" --model echo --stream --input-tokens 100 --max-tokens "$TOKENS" \
    -c "$c" -n $((c * ROUNDS)) ${WARMUP_FLAGS[@]+"${WARMUP_FLAGS[@]}"} --stamp "$STAMP" --json --quiet > "$WORK/out.json"
  # Every echo-server loop publishes its lateness at least every 100 ms.
  sleep 0.3
  python3 -c "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1] + '/stats').read().decode())" \
    "$SERVER_URL" > "$WORK/stats.json"
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  report "$c"
done
