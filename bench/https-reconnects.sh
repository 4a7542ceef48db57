#!/usr/bin/env bash
# loadgen's engine over https, one connection per request: RECONNECTS TLS connections in a row
# (each resumes a ticket of its own after the first few), against echo-server --tls-cert, with
# loadgen's RSS and open descriptors sampled every 500 ms (--progress-every). Strict bounds:
# the descriptors after the run as before it, RSS growth from the first sample (OpenSSL loaded,
# connections warm) to the end under 4 MiB. The suite runs the same with 2,000 reconnects;
# bench/tls-reconnects.sh is the TLS layer alone.
#
# usage: bench/https-reconnects.sh [RECONNECTS (default 10000)] [CONCURRENCY (default 4)]
# Needs the `openssl` command (certificates are made per run in a temporary directory).
set -euo pipefail
cd "$(dirname "$0")/.."
RECONNECTS=${1:-10000}
CONCURRENCY=${2:-4}
source bench/common.sh

make_certificates "$WORK" https-reconnects

start_echo_server "$BIN/echo-server" --tls-cert "$WORK/server.pem" --tls-key "$WORK/server.key"
server_fds_before=$(ls "/proc/$SERVER_PID/fd" | wc -l)
"$BIN/loadgen" run "$SERVER_URL/health" --no-keepalive -n "$RECONNECTS" -c "$CONCURRENCY" -t 1 --cacert "$WORK/ca.pem" \
  --progress-every 500ms --quiet --json > "$WORK/out.json" 2> "$WORK/progress.log"
server_fds_after=$(ls "/proc/$SERVER_PID/fd" | wc -l)

field() { sed -E "s/.*\"$1\":([0-9.]+).*/\\1/" "$WORK/out.json"; }
sample() { sed -E "s/.* $1=([0-9-]+).*/\\1/"; }
first=$(head -n1 "$WORK/progress.log")
# The first sample half a second in (OpenSSL loaded, tables and sessions warm).
warm=$(awk '/^progress/ { split($2, t, "="); if (t[2] >= 0.5) { print; exit } }' "$WORK/progress.log")
final=$(grep '^final' "$WORK/progress.log")
fds_before=$(echo "$first" | sample fds); fds_after=$(echo "$final" | sample fds)
rss_after=$(echo "$final" | sample rss_kib)
rss_warm=$rss_after
[ -n "$warm" ] && rss_warm=$(echo "$warm" | sample rss_kib)
echo "requests $(field requests), succeeded $(field succeeded), connections $(field connections_opened)," \
  "handshakes $(field tls_handshakes_full) full / $(field tls_handshakes_resumed) resumed, $(field requests_per_sec) req/s"
echo "loadgen descriptors $fds_before before, $fds_after after; RSS $rss_warm KiB (first sample) -> $rss_after KiB (end)"
echo "echo-server descriptors $server_fds_before before, $server_fds_after after"
status=0
[ "$(field succeeded)" = "$RECONNECTS" ] || { echo "FAIL: not every request succeeded"; status=1; }
[ "$fds_after" = "$fds_before" ] || { echo "FAIL: descriptors grew"; status=1; }
if [ -z "$warm" ]; then
  echo "(the run was too short for a memory sample after warming up: give more reconnects)"
elif [ $((rss_after - rss_warm)) -ge 4096 ]; then
  echo "FAIL: RSS grew $((rss_after - rss_warm)) KiB"; status=1
fi
[ "$status" = 0 ] && echo "OK: no descriptor and no memory growth across $RECONNECTS reconnects"
exit "$status"
