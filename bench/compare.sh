#!/usr/bin/env bash
# loadgen against wrk, same echo-server, same run.
#
# Builds release, starts echo-server pinned to one CPU, and drives it with `loadgen run -t1` and
# `wrk -t1` pinned to the other, interleaved, REPEATS times at each concurrency. Prints each
# client's req/s and CPU microseconds per request (user+sys of the client process / requests),
# the echo-server's CPU per request, and the medians and ratios. This host is shared and noisy,
# so only the ratio of medians measured side by side means anything.
#
# usage: bench/compare.sh [SECONDS_PER_RUN (default 5)] [REPEATS (default 3)] [LEVELS (default "100 2000")]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-5}
REPEATS=${2:-3}
LEVELS=${3:-"100 2000"}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}

if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light >/dev/null
fi
source bench/common.sh

start_echo_server taskset -c "$SERVER_CPU" "$BIN/echo-server" --port 0 --threads 1
URL="$SERVER_URL/v1/chat/completions"
BODY='{"model":"echo","messages":[{"role":"user","content":"Explain in detail: the client is not the bottleneck."}],"max_tokens":100}'
cat > "$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$BODY'
wrk.headers["Content-Type"] = "application/json"
LUA

ticks=$(getconf CLK_TCK)
# CPU time (user+sys) of a process in microseconds, from /proc/PID/stat.
proc_cpu_us() { awk -v t="$ticks" '{ printf "%d", ($14 + $15) * 1000000 / t }' "/proc/$1/stat"; }

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

printf "%-6s %-8s %-4s %12s %14s %14s\n" "conc" "client" "run" "req/s" "client us/req" "server us/req"
for c in $LEVELS; do
  : > "$WORK/loadgen.$c"; : > "$WORK/wrk.$c"
  for r in $(seq "$REPEATS"); do
    # loadgen
    s0=$(proc_cpu_us "$SERVER_PID")
    /usr/bin/time -f "%U %S" -o "$WORK/time" taskset -c "$CLIENT_CPU" "$BIN/loadgen" run "$URL" -t 1 -c "$c" \
      -d "${SECONDS_PER_RUN}s" --warmup 1s --body "$BODY" --json --quiet > "$WORK/out.json"
    s1=$(proc_cpu_us "$SERVER_PID")
    read -r u s < "$WORK/time"
    ok=$(sed -E 's/.*"succeeded":([0-9]+).*/\1/' "$WORK/out.json")
    warm=$(sed -E 's/.*"warmup_requests":([0-9]+).*/\1/' "$WORK/out.json")
    rps=$(sed -E 's/.*"requests_per_sec":([0-9.]+).*/\1/' "$WORK/out.json")
    cus=$(awk -v u="$u" -v s="$s" -v n="$ok" -v w="$warm" 'BEGIN { printf "%.2f", (u + s) * 1e6 / (n + w) }')
    sus=$(awk -v a="$s0" -v b="$s1" -v n="$ok" -v w="$warm" 'BEGIN { printf "%.2f", (b - a) / (n + w) }')
    printf "%-6s %-8s %-4s %12.0f %14s %14s\n" "$c" loadgen "$r" "$rps" "$cus" "$sus"
    echo "$rps $cus $sus" >> "$WORK/loadgen.$c"
    # wrk
    s0=$(proc_cpu_us "$SERVER_PID")
    /usr/bin/time -f "%U %S" -o "$WORK/time" taskset -c "$CLIENT_CPU" wrk -t1 -c "$c" -d "${SECONDS_PER_RUN}s" \
      -s "$WORK/post.lua" "$URL" > "$WORK/wrk.out"
    s1=$(proc_cpu_us "$SERVER_PID")
    read -r u s < "$WORK/time"
    n=$(awk '/requests in/ { print $1 }' "$WORK/wrk.out")
    rps=$(awk '/Requests\/sec/ { print $2 }' "$WORK/wrk.out")
    cus=$(awk -v u="$u" -v s="$s" -v n="$n" 'BEGIN { printf "%.2f", (u + s) * 1e6 / n }')
    sus=$(awk -v a="$s0" -v b="$s1" -v n="$n" 'BEGIN { printf "%.2f", (b - a) / n }')
    errors=$(awk '/Non-2xx|Socket errors/' "$WORK/wrk.out")
    printf "%-6s %-8s %-4s %12.0f %14s %14s %s\n" "$c" wrk "$r" "$rps" "$cus" "$sus" "$errors"
    echo "$rps $cus $sus" >> "$WORK/wrk.$c"
  done
done

echo
printf "%-6s %14s %14s %8s %16s %16s %8s %14s\n" conc "loadgen req/s" "wrk req/s" ratio "loadgen us/req" "wrk us/req" ratio "server us/req"
for c in $LEVELS; do
  lr=$(awk '{print $1}' "$WORK/loadgen.$c" | median); wr=$(awk '{print $1}' "$WORK/wrk.$c" | median)
  lc=$(awk '{print $2}' "$WORK/loadgen.$c" | median); wc=$(awk '{print $2}' "$WORK/wrk.$c" | median)
  sc=$(awk '{print $3}' "$WORK/loadgen.$c" | median)
  printf "%-6s %14.0f %14.0f %8.3f %16.2f %16.2f %8.3f %14.2f\n" "$c" "$lr" "$wr" \
    "$(awk -v a="$lr" -v b="$wr" 'BEGIN { print a / b }')" "$lc" "$wc" \
    "$(awk -v a="$lc" -v b="$wc" 'BEGIN { print a / b }')" "$sc"
done
# The server side: echo-server's CPU per request against nginx serving a fixed JSON body, both
# driven by wrk -t1 -c100 on the client CPU.
mkdir -p "$WORK/nginx/logs" "$WORK/nginx/tmp"
printf '%s' '{"id":"chatcmpl-1","object":"chat.completion","model":"echo","choices":[{"index":0,"message":{"role":"assistant","content":"echo"},"finish_reason":"length"}],"usage":{"prompt_tokens":34,"completion_tokens":100,"total_tokens":134}}' > "$WORK/nginx/body.json"
NGINX_PORT=$((20000 + RANDOM % 20000))
cat > "$WORK/nginx/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/tmp;
  keepalive_requests 100000000;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    # The answer comes from memory: a file under \$WORK (mode 700, from mktemp) is unreadable to
    # nginx's worker (it runs as nobody) and answered 403, which flattered nginx.
    location / { default_type application/json; return 200 '$(cat "$WORK/nginx/body.json")'; }
  }
}
NGINX
taskset -c "$SERVER_CPU" nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" 2>/dev/null &
NGINX_PID=$!
sleep 1
worker=$(pgrep -P "$NGINX_PID" | head -n1 || true)
if [ -n "$worker" ]; then
  n0=$(proc_cpu_us "$worker")
  taskset -c "$CLIENT_CPU" wrk -t1 -c100 -d "${SECONDS_PER_RUN}s" "http://127.0.0.1:$NGINX_PORT/" > "$WORK/nginx.out"
  n1=$(proc_cpu_us "$worker")
  n=$(awk '/requests in/ { print $1 }' "$WORK/nginx.out")
  # A misconfigured location answers 403 or 404 fast; a figure from errors would flatter nginx.
  if grep -q 'Non-2xx' "$WORK/nginx.out"; then
    echo "nginx answered errors ($(grep 'Non-2xx' "$WORK/nginx.out")); its figure is not a comparison" >&2
  fi
  echo "nginx (fixed JSON, wrk -t1 -c100): $(awk '/Requests\/sec/ { print $2 }' "$WORK/nginx.out") req/s, server $(awk -v a="$n0" -v b="$n1" -v n="$n" 'BEGIN { printf "%.2f", (b - a) / n }') us/req"
else
  echo "nginx did not start; skipped the server comparison"
fi
kill "$NGINX_PID" 2>/dev/null || true
wait "$NGINX_PID" 2>/dev/null || true

echo "(medians of $REPEATS interleaved runs of ${SECONDS_PER_RUN}s; req/s ratio = loadgen/wrk, higher is better; us/req ratio lower is better)"
