#!/usr/bin/env bash
# loadgen against wrk over https, same nginx, same run.
#
# Builds release, makes a self-signed CA and a certificate for 127.0.0.1 in a temporary
# directory (the `openssl` command; nothing is kept), starts nginx with TLS (one worker pinned to
# SERVER_CPU, a fixed JSON body, TLS 1.3, session tickets on), and drives it with `loadgen run
# -t 1` and `wrk -t1` pinned to CLIENT_CPU, interleaved, REPEATS times:
#   - keep-alive, at each of LEVELS connections (TLS cost: records, not handshakes);
#   - one new connection per request, at each of NEW_LEVELS connections (handshake-bound):
#     loadgen --no-keepalive, wrk -H 'Connection: close'. Both resume sessions where they can;
#     loadgen's counts of full and resumed handshakes are printed.
# Neither client verifies the certificate (wrk cannot; loadgen gets --insecure, VERIFY=1 gives it
# --cacert instead, which adds chain verification to each full handshake).
# Prints each run's req/s, client CPU microseconds per request (user+sys of the client process /
# requests) and nginx's CPU per request, then the medians and the ratios loadgen/wrk. This host
# is shared and noisy: only ratios of medians measured side by side mean anything.
#
# usage: bench/compare-tls.sh [SECONDS_PER_RUN (default 5)] [REPEATS (default 3)] [LEVELS (default "100 2000")] [NEW_LEVELS (default "100")]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-5}
REPEATS=${2:-3}
LEVELS=${3:-"100 2000"}
NEW_LEVELS=${4:-"100"}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
VERIFY=${VERIFY:-0}

if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light >/dev/null
fi
source bench/common.sh

make_certificates "$WORK/tls" compare-tls
if [ "$VERIFY" = 1 ]; then TLS_FLAGS=(--cacert "$WORK/tls/ca.pem"); else TLS_FLAGS=(--insecure); fi

mkdir -p "$WORK/nginx/logs" "$WORK/nginx/tmp"
# The answer comes from memory (return 200): no file to read (an alias on "/" would look for an
# index.html, and the worker's user may not read the temporary directory).
BODY='{"id":"chatcmpl-1","object":"chat.completion","model":"echo","choices":[{"index":0,"message":{"role":"assistant","content":"echo"},"finish_reason":"length"}],"usage":{"prompt_tokens":34,"completion_tokens":100,"total_tokens":134}}'
NGINX_PORT=$((20000 + RANDOM % 20000))
cat > "$WORK/nginx/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log;
worker_rlimit_nofile 65536;
events { worker_connections 16384; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/tmp;
  keepalive_requests 100000000;
  ssl_protocols TLSv1.2 TLSv1.3;
  ssl_session_cache shared:TLS:10m;
  ssl_session_tickets on;
  server {
    listen 127.0.0.1:$NGINX_PORT ssl;
    ssl_certificate $WORK/tls/server.pem;
    ssl_certificate_key $WORK/tls/server.key;
    location / { default_type application/json; return 200 '$BODY'; }
  }
}
NGINX
taskset -c "$SERVER_CPU" nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" 2>/dev/null &
NGINX_PID=$!
trap 'kill "$NGINX_PID" 2>/dev/null || true; cleanup' EXIT
URL="https://127.0.0.1:$NGINX_PORT/"
WORKER=""
for _ in $(seq 50); do
  WORKER=$(pgrep -P "$NGINX_PID" | head -n1 || true)
  [ -n "$WORKER" ] && curl -ksf "$URL" >/dev/null 2>&1 && break
  sleep 0.1
done
[ -n "$WORKER" ] || { echo "nginx did not start (see $WORK/nginx/logs/error.log)" >&2; cat "$WORK/nginx/logs/error.log" >&2; exit 1; }

ticks=$(getconf CLK_TCK)
# CPU time (user+sys) of a process in microseconds, from /proc/PID/stat.
proc_cpu_us() { awk -v t="$ticks" '{ printf "%d", ($14 + $15) * 1000000 / t }' "/proc/$1/stat"; }
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
json_field() { sed -E "s/.*\"$1\":([0-9.]+).*/\\1/" "$2"; }

# run_loadgen MODE CONCURRENCY (MODE keep or new): one line "rps client_us server_us full resumed"
run_loadgen() {
  local extra=()
  [ "$1" = new ] && extra=(--no-keepalive)
  local s0 s1 u s ok warm
  s0=$(proc_cpu_us "$WORKER")
  /usr/bin/time -f "%U %S" -o "$WORK/time" taskset -c "$CLIENT_CPU" "$BIN/loadgen" run "$URL" -t 1 -c "$2" \
    -d "${SECONDS_PER_RUN}s" --warmup 1s "${TLS_FLAGS[@]}" "${extra[@]}" --json --quiet > "$WORK/out.json" || true
  s1=$(proc_cpu_us "$WORKER")
  read -r u s < "$WORK/time"
  ok=$(json_field succeeded "$WORK/out.json"); warm=$(json_field warmup_requests "$WORK/out.json")
  echo "$(json_field requests_per_sec "$WORK/out.json")" \
    "$(awk -v u="$u" -v s="$s" -v n="$ok" -v w="$warm" 'BEGIN { printf "%.2f", (u + s) * 1e6 / (n + w) }')" \
    "$(awk -v a="$s0" -v b="$s1" -v n="$ok" -v w="$warm" 'BEGIN { printf "%.2f", (b - a) / (n + w) }')" \
    "$(json_field tls_handshakes_full "$WORK/out.json")" "$(json_field tls_handshakes_resumed "$WORK/out.json")"
}

# run_wrk MODE CONCURRENCY: one line "rps client_us server_us errors"
run_wrk() {
  local extra=()
  [ "$1" = new ] && extra=(-H "Connection: close")
  local s0 s1 u s n
  s0=$(proc_cpu_us "$WORKER")
  /usr/bin/time -f "%U %S" -o "$WORK/time" taskset -c "$CLIENT_CPU" wrk -t1 -c "$2" -d "${SECONDS_PER_RUN}s" \
    "${extra[@]}" "$URL" > "$WORK/wrk.out" || true
  s1=$(proc_cpu_us "$WORKER")
  read -r u s < "$WORK/time"
  n=$(awk '/requests in/ { print $1 }' "$WORK/wrk.out")
  echo "$(awk '/Requests\/sec/ { print $2 }' "$WORK/wrk.out")" \
    "$(awk -v u="$u" -v s="$s" -v n="$n" 'BEGIN { printf "%.2f", (u + s) * 1e6 / n }')" \
    "$(awk -v a="$s0" -v b="$s1" -v n="$n" 'BEGIN { printf "%.2f", (b - a) / n }')" \
    "$(awk '/Socket errors|Non-2xx/ { printf "%s ", $0 }' "$WORK/wrk.out")"
}

printf "%-5s %-6s %-8s %-4s %12s %14s %14s  %s\n" mode conc client run "req/s" "client us/req" "server us/req" "notes"
for mode in keep new; do
  levels=$LEVELS; [ "$mode" = new ] && levels=$NEW_LEVELS
  for c in $levels; do
    : > "$WORK/loadgen.$mode.$c"; : > "$WORK/wrk.$mode.$c"
    for r in $(seq "$REPEATS"); do
      read -r rps cus sus full resumed <<< "$(run_loadgen "$mode" "$c")"
      printf "%-5s %-6s %-8s %-4s %12.0f %14s %14s  handshakes: %s full, %s resumed\n" "$mode" "$c" loadgen "$r" "$rps" "$cus" "$sus" "$full" "$resumed"
      echo "$rps $cus $sus" >> "$WORK/loadgen.$mode.$c"
      read -r rps cus sus errors <<< "$(run_wrk "$mode" "$c")"
      printf "%-5s %-6s %-8s %-4s %12.0f %14s %14s  %s\n" "$mode" "$c" wrk "$r" "$rps" "$cus" "$sus" "$errors"
      echo "$rps $cus $sus" >> "$WORK/wrk.$mode.$c"
    done
  done
done

echo
printf "%-5s %-6s %14s %14s %8s %16s %16s %8s %18s %14s\n" mode conc "loadgen req/s" "wrk req/s" ratio "loadgen us/req" "wrk us/req" ratio "nginx us (loadgen)" "nginx us (wrk)"
for mode in keep new; do
  levels=$LEVELS; [ "$mode" = new ] && levels=$NEW_LEVELS
  for c in $levels; do
    lr=$(awk '{print $1}' "$WORK/loadgen.$mode.$c" | median); wr=$(awk '{print $1}' "$WORK/wrk.$mode.$c" | median)
    lc=$(awk '{print $2}' "$WORK/loadgen.$mode.$c" | median); wc=$(awk '{print $2}' "$WORK/wrk.$mode.$c" | median)
    ls=$(awk '{print $3}' "$WORK/loadgen.$mode.$c" | median); ws=$(awk '{print $3}' "$WORK/wrk.$mode.$c" | median)
    printf "%-5s %-6s %14.0f %14.0f %8.3f %16.2f %16.2f %8.3f %18.2f %14.2f\n" "$mode" "$c" "$lr" "$wr" \
      "$(awk -v a="$lr" -v b="$wr" 'BEGIN { print (b > 0 ? a / b : 0) }')" "$lc" "$wc" \
      "$(awk -v a="$lc" -v b="$wc" 'BEGIN { print (b > 0 ? a / b : 0) }')" "$ls" "$ws"
  done
done
echo "(medians of $REPEATS interleaved runs of ${SECONDS_PER_RUN}s; keep = keep-alive, new = one connection per request;"
echo " req/s ratio = loadgen/wrk, higher is better; us/req ratio lower is better; certificate verification: $([ "$VERIFY" = 1 ] && echo "loadgen --cacert" || echo "off for both"))"
