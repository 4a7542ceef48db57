#!/usr/bin/env bash
# 10,000 concurrent keep-alive connections against echo-server: 100% success and loadgen's
# peak RSS, which must stay <= 64 MiB (connection state is a few hundred bytes; no per-connection
# read buffer, because the response parser keeps no bytes).
#
# usage: bench/connections.sh [CONNECTIONS (default 10000)] [SECONDS (default 10)]
set -euo pipefail
cd "$(dirname "$0")/.."
CONNECTIONS=${1:-10000}
SECONDS_PER_RUN=${2:-10}
source bench/common.sh

ulimit -n "$(ulimit -Hn)"
start_echo_server "$BIN/echo-server" --port 0 --threads 1
URL="$SERVER_URL/v1/chat/completions"
BODY='{"model":"echo","messages":[{"role":"user","content":"hello"}],"max_tokens":16}'

/usr/bin/time -f "%M" -o "$WORK/rss" "$BIN/loadgen" run "$URL" -c "$CONNECTIONS" -d "${SECONDS_PER_RUN}s" \
  --body "$BODY" --json --quiet > "$WORK/out.json"
rss_kib=$(cat "$WORK/rss")
json=$(cat "$WORK/out.json")
field() { echo "$json" | sed -E "s/.*\"$1\":([0-9.]+).*/\1/"; }
requests=$(field requests); succeeded=$(field succeeded); opened=$(field connections_opened)
echo "connections $CONNECTIONS  opened $opened  requests $requests  succeeded $succeeded  req/s $(field requests_per_sec)  p99 ms $(echo "$json" | sed -E 's/.*"p99":([0-9.]+).*/\1/')"
echo "loadgen peak RSS: $((rss_kib / 1024)) MiB ($rss_kib KiB); target <= 64 MiB"
status=0
[ "$requests" = "$succeeded" ] || { echo "FAIL: not every request succeeded"; status=1; }
[ "$opened" -ge "$CONNECTIONS" ] || { echo "FAIL: fewer connections opened than asked"; status=1; }
[ "$rss_kib" -le $((64 * 1024)) ] || { echo "FAIL: RSS above 64 MiB"; status=1; }
[ $status = 0 ] && echo "PASS"
exit $status
