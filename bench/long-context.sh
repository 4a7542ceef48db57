#!/usr/bin/env bash
# Long prompts: does client CPU grow with the bytes moved, and nothing worse?
#
# Builds release, starts echo-server (2 threads), and for each prompt length drives it with
# `loadgen run` (OpenAI chat workload, prompts of N tokens, about 4 bytes per token) at
# concurrency C, then with wrk sending a body of the same size (the named peer, same run). Both
# send one fixed body (`--prompt fixed`): echo-server answers a body it saw last from a cache, and
# parses a new one, so unique prompts would make the server, not the client, slower. Prints
# req/s, request MB/s, and client CPU per request and per MB sent for both. A client with a small
# fixed read or write buffer shows CPU per MB rising with the prompt; loadgen's should stay flat.
#
# usage: bench/long-context.sh [SECONDS_PER_RUN (default 5)] [CONCURRENCY (default 100)] [TOKENS (default "1000 10000 50000 100000 128000")]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-5}
CONCURRENCY=${2:-100}
TOKENS=${3:-"1000 10000 50000 100000 128000"}

if ! command -v wrk >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
source bench/common.sh

start_echo_server "$BIN/echo-server" --port 0 --threads 2
BASE=$SERVER_URL

json_field() { sed -E "s/.*\"$1\":([0-9.]+).*/\1/" "$2"; }

printf "%-8s %-8s %10s %10s %14s %14s\n" "tokens" "client" "req/s" "MB/s sent" "cpu us/req" "cpu us/MB"
for n in $TOKENS; do
  /usr/bin/time -f "%U %S" -o "$WORK/time" "$BIN/loadgen" run --base-url "$BASE" --model echo --prompt fixed --input-tokens "$n" \
    --max-tokens 16 -c "$CONCURRENCY" -d "${SECONDS_PER_RUN}s" --warmup 1s --json --quiet > "$WORK/out.json"
  read -r u s < "$WORK/time"
  ok=$(json_field succeeded "$WORK/out.json"); warm=$(json_field warmup_requests "$WORK/out.json")
  rps=$(json_field requests_per_sec "$WORK/out.json"); sent=$(json_field bytes_sent "$WORK/out.json")
  dur=$(json_field duration_sec "$WORK/out.json")
  awk -v n="$n" -v rps="$rps" -v sent="$sent" -v dur="$dur" -v u="$u" -v s="$s" -v ok="$ok" -v warm="$warm" 'BEGIN {
    # bytes_sent and the CPU time cover the warmup second too.
    mb = sent / 1e6; req = ok + warm
    printf "%-8s %-8s %10.1f %10.1f %14.1f %14.1f\n", n, "loadgen", rps, mb / (dur + 1), (u + s) * 1e6 / req, (u + s) * 1e6 / mb }'

  # wrk with a body of the same size: the loadgen body of this length, captured once.
  "$BIN/loadgen" run --base-url "$BASE" --model echo --prompt fixed --input-tokens "$n" --max-tokens 16 -n 1 --json --quiet > "$WORK/one.json"
  bytes=$(json_field bytes_sent "$WORK/one.json")
  python3 - "$bytes" "$WORK/body.txt" <<'PY'
import sys, json
size = int(sys.argv[1]) - 200   # minus the request line and headers, roughly
prompt = ("the quick brown fox " * (size // 20 + 1))[: max(size - 80, 10)]
open(sys.argv[2], "w").write(json.dumps({"model": "echo", "messages": [{"role": "user", "content": prompt}], "max_tokens": 16}))
PY
  cat > "$WORK/post.lua" <<LUA
local f = io.open("$WORK/body.txt", "rb"); wrk.body = f:read("*a"); f:close()
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
LUA
  /usr/bin/time -f "%U %S" -o "$WORK/time" wrk -t2 -c "$CONCURRENCY" -d "${SECONDS_PER_RUN}s" -s "$WORK/post.lua" \
    "$BASE/v1/chat/completions" > "$WORK/wrk.out"
  read -r u s < "$WORK/time"
  req=$(awk '/requests in/ { print $1 }' "$WORK/wrk.out")
  wrps=$(awk '/Requests\/sec/ { print $2 }' "$WORK/wrk.out")
  body=$(stat -c %s "$WORK/body.txt")
  awk -v n="$n" -v rps="$wrps" -v req="$req" -v body="$body" -v d="$SECONDS_PER_RUN" -v u="$u" -v s="$s" 'BEGIN {
    mb = req * (body + 150) / 1e6
    printf "%-8s %-8s %10.1f %10.1f %14.1f %14.1f\n", n, "wrk", rps, mb / d, (u + s) * 1e6 / req, (u + s) * 1e6 / mb }'
done
