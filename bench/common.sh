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

# make_certificates DIR NAME: a CA (DIR/ca.pem, DIR/ca.key) and a server certificate for 127.0.0.1
# and localhost signed by it (DIR/server.pem, DIR/server.key), EC P-256 as most TLS front ends
# now serve, valid two days, made with the `openssl` command. A config of its own: the system's
# openssl.cnf would add CA:TRUE to every `req -x509`. NAME names the CA (its subject).
make_certificates() {
  local dir=$1 name=$2
  command -v openssl >/dev/null || { echo "$(basename "$0") needs the openssl command" >&2; exit 1; }
  mkdir -p "$dir"
  cat > "$dir/openssl.cnf" <<CNF
[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
[server]
basicConstraints = critical,CA:FALSE
subjectAltName = IP:127.0.0.1,DNS:localhost
extendedKeyUsage = serverAuth
CNF
  openssl req -x509 -config "$dir/openssl.cnf" -extensions ca -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" -subj "/CN=$name CA" -days 2 2>/dev/null
  openssl req -x509 -config "$dir/openssl.cnf" -extensions server -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$dir/server.key" -out "$dir/server.pem" -subj "/CN=127.0.0.1" -days 2 \
    -CA "$dir/ca.pem" -CAkey "$dir/ca.key" 2>/dev/null
}
