# The preamble the benchmark scripts share; each sources it after reading its arguments:
#   cd "$(dirname "$0")/.."; ...; source bench/common.sh
# It builds loadgen and echo-server release (benchmarks always measure release builds) and sets
# BIN to their directory, WORK to a temporary directory, and a trap that on exit stops the
# echo-server started with start_echo_server and removes WORK. (It leaves the working directory
# at the package root, where the scripts already are.)
swift build -c release --product loadgen >/dev/null
swift build -c release --product echo-server >/dev/null
BIN=$(swift build -c release --show-bin-path)

WORK=$(mktemp -d)
SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

# start_echo_server COMMAND...: runs COMMAND (echo-server with its arguments, or taskset ...
# echo-server ..., which keeps the PID) in the background, waits up to 5 s for the URL it prints
# first, and sets SERVER_PID and SERVER_URL (e.g. http://127.0.0.1:PORT).
start_echo_server() {
  "$@" > "$WORK/server.out" &
  SERVER_PID=$!
  for _ in $(seq 50); do [ -s "$WORK/server.out" ] && break; sleep 0.1; done
  SERVER_URL=$(head -n1 "$WORK/server.out")
}
