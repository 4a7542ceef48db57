#!/usr/bin/env bash
# Streaming metric accuracy: TTFT, ITL and TPOT measured by a release build of loadgen against
# echo-server injecting known delays (TTFT 50 ms, ITL 10 ms by default), at several concurrencies,
# with no warmup (1,000 streams connect and start together). One row per level: each median
# (kernel-stamped), PASS when all three are within 1 ms of the truth, and beside them what says
# who was late: the client lag (loadgen's clock at a read minus the kernel's receive time), the
# share of token events that one read returned with an earlier one (merged: they share its
# stamp, so their ITL reads 0),
# echo-server's own lateness (a token's send minus its due time, due from the kernel's receive
# time of its request) and its request read lag (its read minus that receive time: its own
# queueing, which the due times absorb), both from GET /stats; the CPU time of each program over
# the level (server/client); loadgen's verdict on itself; all in ms. A fresh echo-server per
# level, so its figures are the level's.
#
# usage: bench/stream-accuracy.sh [LEVELS (default "1 100 1000 2000")] [TTFT_MS (50)] [ITL_MS (10)] [TOKENS (20)]
# env:   SERVER_THREADS (2), CLIENT_THREADS (loadgen's default: the online CPUs), SERVER_CPUS and
#        CLIENT_CPUS (taskset CPU lists, e.g. 0 and 1; default: unpinned), CLIENT_NICE (e.g. 5:
#        the reference peer first when the two cores do not hold both), STAMP (kernel; user:
#        the client's clock, as before), WARMUP (none; e.g. 1s), ROUNDS (3: requests per
#        connection), ECHO_SERVER (the echo-server binary; default the release build),
#        TIMER_SLACK_US (echo-server's --timer-slack-us; default its own, 250)
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
CLIENT_FLAGS=()
[ -n "${CLIENT_THREADS:-}" ] && CLIENT_FLAGS=(--threads "$CLIENT_THREADS")
SERVER_PIN=()
[ -n "${SERVER_CPUS:-}" ] && SERVER_PIN=(taskset -c "$SERVER_CPUS")
CLIENT_PIN=()
[ -n "${CLIENT_CPUS:-}" ] && CLIENT_PIN=(taskset -c "$CLIENT_CPUS")
SERVER_FLAGS=()
[ -n "${TIMER_SLACK_US:-}" ] && SERVER_FLAGS=(--timer-slack-us "$TIMER_SLACK_US")
[ -n "${CLIENT_NICE:-}" ] && CLIENT_PIN=(nice -n "$CLIENT_NICE" ${CLIENT_PIN[@]+"${CLIENT_PIN[@]}"})

# One row from loadgen's JSON and echo-server's /stats JSON.
report() {
  python3 - "$WORK/out.json" "$WORK/stats.json" "$1" "$TTFT" "$ITL" "$2" <<'EOF'
import json, sys
run = json.load(open(sys.argv[1])); stats = json.load(open(sys.argv[2]))
level, ttft, itl, server_cpu_ms = sys.argv[3], float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
def spread(d): return "%.3f/%.3f/%.3f" % (d["p50"], d["p99"], d["max"])
medians = [(metric, run[metric + "_ms"]["p50"], truth) for metric, truth in (("ttft", ttft), ("itl", itl), ("tpot", itl))]
off = [metric for metric, value, truth in medians if abs(value - truth) > 1]
result = "PASS" if not off else "FAIL:" + ",".join(off)
if run["succeeded"] != run["requests"]: result += " (%d of %d ok)" % (run["succeeded"], run["requests"])
verdict = run["client_verdict"]
client = "kept up" if verdict["kept_up"] else "behind: " + ",".join(verdict["exceeded"])
read_lag = spread(stats["request_read_lag_ms"]) if "request_read_lag_ms" in stats else "-"
cpu = "%d/%d" % (server_cpu_ms, (run["client_cpu_user_us"] + run["client_cpu_system_us"]) / 1000)
merged = "%.1f%%" % (100 * run["merged_token_share"]) if "merged_token_share" in run else "-"
print("%-6s %9.3f %9.3f %9.3f  %-10s %-23s %-7s %-23s %-23s %-11s %s" % ((level,) + tuple(v for _, v, _ in medians)
      + (result, spread(run["client_lag_ms"]), merged, spread(stats["stream_token_lateness_ms"]), read_lag, cpu, client)))
EOF
}

# The figures are only as good as the machine was quiet: say how busy it was.
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs"
printf "%-6s %9s %9s %9s  %-10s %-23s %-7s %-23s %-23s %-11s %s\n" "conc" "TTFT p50" "ITL p50" "TPOT p50" "within 1" \
  "client lag p50/p99/max" "merged" "server late p50/p99/max" "server read p50/p99/max" "CPU ms s/c" "client verdict"
for c in $LEVELS; do
  # The previous level's address must not be read as this one's.
  rm -f "$WORK/server.out"
  # exec keeps the PID; its report at exit (the same figures as /stats) goes to a file.
  start_echo_server sh -c 'exec "$0" "$@" 2>>"'"$WORK"'/server.err"' ${SERVER_PIN[@]+"${SERVER_PIN[@]}"} \
    "${ECHO_SERVER:-$BIN/echo-server}" --port 0 --threads "${SERVER_THREADS:-2}" --ttft-ms "$TTFT" --itl-ms "$ITL" --stats \
    ${SERVER_FLAGS[@]+"${SERVER_FLAGS[@]}"}
  ${CLIENT_PIN[@]+"${CLIENT_PIN[@]}"} "$BIN/loadgen" run --base-url "$SERVER_URL" --model echo --stream --input-tokens 100 \
    --max-tokens "$TOKENS" -c "$c" -n $((c * ROUNDS)) ${WARMUP_FLAGS[@]+"${WARMUP_FLAGS[@]}"} ${CLIENT_FLAGS[@]+"${CLIENT_FLAGS[@]}"} \
    --stamp "$STAMP" --json --quiet > "$WORK/out.json"
  # Every echo-server loop publishes its lateness at least every 100 ms.
  sleep 0.3
  python3 -c "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1] + '/stats').read().decode())" \
    "$SERVER_URL" > "$WORK/stats.json"
  # The server's CPU time (user + system, in clock ticks) for the level, beside the client's.
  SERVER_TICKS=$(awk '{print $14 + $15}' "/proc/$SERVER_PID/stat")
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  report "$c" "$((SERVER_TICKS * 1000 / $(getconf CLK_TCK)))"
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
