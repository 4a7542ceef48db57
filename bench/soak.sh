#!/usr/bin/env bash
# Soak: a long run at many connections against echo-server injecting faults, watching the client
# for leaks. Prints, every minute, loadgen's RSS, open descriptors and throughput; at the end checks
# that every started request ended in one outcome, that RSS grew under 5% after the first minute,
# and that the open descriptors are back to where they started.
#
# usage: bench/soak.sh [SECONDS (default 600)] [CONNECTIONS (default 2000)]
# FAULTS (env): echo-server --fault flags, default 1% spread over several kinds.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TOTAL=${1:-600}
CONNECTIONS=${2:-2000}
FAULTS=${FAULTS-"--fault close-mid-body:0.0025 --fault reset:0.0025 --fault status-503:0.0025 --fault close-before-response:0.0025"}
INTERVAL=${INTERVAL:-60}

source bench/common.sh

# shellcheck disable=SC2086
start_echo_server "$BIN/echo-server" --port 0 --threads 1 $FAULTS
URL="$SERVER_URL/v1/chat/completions"
BODY='{"model":"echo","messages":[{"role":"user","content":"soak"}],"max_tokens":16}'

echo "soak: $CONNECTIONS connections for ${SECONDS_TOTAL}s against echo-server $FAULTS"
"$BIN/loadgen" run "$URL" -c "$CONNECTIONS" -d "${SECONDS_TOTAL}s" --body "$BODY" --timeout 10s \
  --progress-every "$INTERVAL" --json --quiet > "$WORK/out.json" 2> >(tee "$WORK/progress.log" >&2)
sleep 0.5

python3 - "$WORK/out.json" "$WORK/progress.log" <<'PY'
import json, re, sys
result = json.load(open(sys.argv[1]))
lines = [dict(re.findall(r"(\w+)=(-?[\d.]+)", l)) | {"kind": l.split()[0]} for l in open(sys.argv[2]) if l.startswith(("progress", "final"))]
start, final = lines[0], lines[-1]
minutes = [l for l in lines if l["kind"] == "progress" and float(l["t"]) > 0]
print("\nminute  ok            failed     req/s       rss_kib  fds")
for l in minutes:
    print(f"{float(l['t']) / 60:6.1f}  {int(l['ok']):>12,}  {int(l['failed']):>8,}  {float(l['rps']):>10,.0f}  {int(l['rss_kib']):>8}  {l['fds']}")
errors = result["errors"]
adds_up = result["requests"] == result["succeeded"] + result["failed"] and result["failed"] == sum(errors.values())
first = int(minutes[0]["rss_kib"]) if minutes else int(start["rss_kib"])
peak = max(int(l["rss_kib"]) for l in minutes) if minutes else first
growth = (peak - first) / first * 100
fds_back = final["fds"] == start["fds"]
print(f"\nrequests {result['requests']:,} = succeeded {result['succeeded']:,} + failed {result['failed']:,}: {'yes' if adds_up else 'NO'}")
print(f"errors by class: {errors}")
print(f"RSS after the first minute {first} KiB, peak {peak} KiB: growth {growth:.2f}% (limit 5%)")
print(f"open descriptors: {start['fds']} before, {final['fds']} after the run: {'back' if fds_back else 'NOT back'}")
ok = adds_up and growth < 5 and fds_back
print("PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
PY
