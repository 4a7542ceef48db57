#!/usr/bin/env bash
# Where a streamed token's CPU goes, on each side: a release loadgen streams from a release
# echo-server (TTFT 50 ms, ITL 10 ms, 20 tokens, like bench/stream-accuracy.sh) while `perf stat`
# counts both programs' CPU time, context switches and syscalls by kind (tracepoints), and
# `nstat` the TCP segments (system-wide: other traffic on the host counts too); each figure is printed per token (tokens = successful
# requests x TOKENS). A token costs echo-server a send and loadgen a read; the rest (epoll_wait,
# the timer, ACKs) is what batching and the wakeup grid can save. Counts, unlike times, barely
# move with the machine's load; CPU per token does, so the load average is printed beside it.
#
# usage: bench/stream-cost.sh [LEVELS (default "200 1000 2000")] [TOKENS (20)]
# env:   LOADGEN_ARGS (instead of "-c LEVEL -n 3xLEVEL", e.g. "--rate 800 -d 3s" for open loop,
#        where streams are not synchronized by a burst; LEVELS are then only labels, e.g.
#        "open"), SERVER_THREADS (2), TIMER_SLACK_US,
#        ECHO_SERVER (the echo-server binary; default the release build). Needs perf (with
#        tracepoints: root or perf_event_paranoid <= 1) and nstat (iproute2).
set -euo pipefail
cd "$(dirname "$0")/.."
LEVELS=${1:-"200 1000 2000"}
TOKENS=${2:-20}
command -v perf >/dev/null || { echo "stream-cost.sh: needs perf" >&2; exit 1; }
source bench/common.sh

EVENTS=task-clock,context-switches,raw_syscalls:sys_enter
for call in sendto recvmsg read epoll_wait timerfd_settime epoll_ctl; do EVENTS+=",syscalls:sys_enter_$call"; done
SERVER_FLAGS=()
[ -n "${TIMER_SLACK_US:-}" ] && SERVER_FLAGS=(--timer-slack-us "$TIMER_SLACK_US")

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs"
for c in $LEVELS; do
  rm -f "$WORK/server.out"
  start_echo_server "${ECHO_SERVER:-$BIN/echo-server}" --port 0 --threads "${SERVER_THREADS:-2}" --ttft-ms 50 --itl-ms 10 \
    ${SERVER_FLAGS[@]+"${SERVER_FLAGS[@]}"}
  perf stat -e "$EVENTS" -p "$SERVER_PID" -o "$WORK/server.perf" &
  PERF_PID=$!
  sleep 0.3
  nstat -n
  # shellcheck disable=SC2086
  perf stat -e "$EVENTS" -o "$WORK/client.perf" "$BIN/loadgen" run --base-url "$SERVER_URL" --model echo --stream \
    --input-tokens 100 --max-tokens "$TOKENS" ${LOADGEN_ARGS:--c $c -n $((c * 3))} --json --quiet > "$WORK/out.json"
  nstat > "$WORK/nstat.txt"
  kill -INT "$PERF_PID"; wait "$PERF_PID" || true
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  python3 - "$WORK" "$c" "$TOKENS" <<'EOF'
import json, re, sys
work, level, tokens_per_request = sys.argv[1], sys.argv[2], int(sys.argv[3])
run = json.load(open(work + "/out.json"))
tokens = run["succeeded"] * tokens_per_request
def counts(name):
    found = {}
    for line in open("%s/%s.perf" % (work, name)):
        match = re.match(r"\s*([\d,.]+)\s+(?:msec\s+)?([\w:-]+)", line)
        if match and not match.group(2).startswith("seconds"): found[match.group(2).replace("syscalls:sys_enter_", "").replace("raw_syscalls:sys_enter", "syscalls")] = float(match.group(1).replace(",", ""))
    return found
segments = {}
for line in open(work + "/nstat.txt"):
    fields = line.split()
    if len(fields) >= 2 and fields[0] in ("TcpOutSegs", "TcpExtTCPPureAcks", "TcpExtTCPHPAcks"): segments[fields[0]] = int(fields[1])
print("level %s: %d tokens (%d of %d requests ok), merged %.1f%%, TTFT p50 %.3f ms" % (level, tokens, run["succeeded"], run["requests"],
      100 * run.get("merged_token_share", 0), run["ttft_ms"]["p50"]))
for side in ("server", "client"):
    found = counts(side)
    others = " ".join("%s %.2f" % (key, value / tokens) for key, value in found.items() if key not in ("task-clock", "context-switches"))
    print("  %-6s CPU %.2f us/token, context switches %.2f, syscalls per token: %s" % (side, found.get("task-clock", 0) * 1000 / tokens,
          found.get("context-switches", 0) / tokens, others))
print("  loopback TCP segments per token %.2f (pure ACKs received in the fast path %.2f)" % (segments.get("TcpOutSegs", 0) / tokens,
      (segments.get("TcpExtTCPHPAcks", 0) + segments.get("TcpExtTCPPureAcks", 0)) / tokens))
EOF
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
