#!/usr/bin/env bash
# pool-profile.sh: measure what wolfSSL allocates, and fit the TLS pool's
# block sizes and counts to it (server/budget.h GH_TLS_BUCKETS).
#
#   tests/bench/pool-profile.sh BUILD_DIR [SESSIONS] [SIZES]
#
# BUILD_DIR is a configured and built tree with debug information (the
# default RelWithDebInfo: pool_fit.py tells civetweb's functions from
# wolfSSL's by it; server/gatehouse; pki/ is made if missing). The server runs on the C library's heap (GATEHOUSE_SYSTEM_HEAP=1)
# under alloc_trace.so, which records every allocation and its caller:
#   base   start-up with a trust store of 16 CAs and a CRL of 256 entries,
#          then three reloads (SIGHUP): what lives as long as the server,
#          with two configuration generations at once;
#   conn   one connection each, made and closed, for every kind of client:
#          P-256, P-384 and RSA-2048 certificates, a deeper chain, refused
#          ones (expired, unknown CA, unmapped), TLS 1.3 and TLS 1.2;
#   idle   one connection left open after a request: what an idle one holds.
# pool_fit.py then prints the GH_TLS_BUCKETS lines for SESSIONS sessions
# (default 8) with at most SIZES block sizes below the record buffer's
# (default 12: WOLFMEM_MAX_BUCKETS is 14 with the record and crl.pem blocks).
# Run it again when wolfSSL, user_settings.h or the client mix changes.
set -u
build=$(cd "${1:?usage: pool-profile.sh BUILD_DIR [SESSIONS] [SIZES]}" && pwd)
sessions=${2:-8}
sizes=${3:-12}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
bin=$build/server/gatehouse
W=$(mktemp -d "${TMPDIR:-/tmp}/gh-profile.XXXXXX")
trap 'rm -rf "$W"' EXIT
cc -O2 -fPIC -shared "$here/alloc_trace.c" -o "$W/alloc_trace.so" -ldl || exit 1
PKI=$build/pki
[ -f "$PKI/admin.pem" ] || bash "$src/certs/make-pki.sh" "$PKI" >/dev/null || exit 1
flash=$W/flash
bash "$src/certs/make-flash.sh" "$PKI" "$flash" >/dev/null || exit 1

# the budget's trust store: 16 CAs (ours, then fillers), a CRL of 256 entries
for i in $(seq 1 14); do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
        -subj "/C=DE/O=Filler $i/CN=Filler CA $i" -days 3650 \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
        2>/dev/null >>"$flash/ca.pem"
done
cp -r "$PKI/ca-db" "$W/ca-db"
awk -v n=256 'BEGIN { srand(1) } { print } END {
    for (i = 0; i < n; i++) {
        s = ""; for (k = 0; k < 40; k++) s = s sprintf("%X", int(rand() * 16))
        printf "R\t301231235959Z\t250101000000Z\t%s\tunknown\t/CN=revoked %d\n", s, i } }' \
    "$PKI/ca-db/client-ca/index.txt" >"$W/ca-db/client-ca/index.txt"
(cd "$W" && cp "$PKI"/client-ca.pem "$PKI"/client-ca.key . &&
    openssl ca -config ca-db/openssl.cnf -name ca_client -gencrl -out "$flash/crl.pem" 2>/dev/null) ||
    { echo "pool-profile: cannot make the CRL" >&2; exit 1; }

port=$((20000 + RANDOM % 40000))
start() {   # TRACE [all]
    rm -f "$1"
    GATEHOUSE_SYSTEM_HEAP=1 LD_PRELOAD="$W/alloc_trace.so" ALLOC_TRACE_OUT="$1" \
        ALLOC_TRACE_ALL="${2:-0}" "$bin" serve --flash "$flash" --listen "127.0.0.1:$port" \
        >"$W/server.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do grep -q "serving https" "$W/server.log" && return 0; sleep 0.1; done
    echo "pool-profile: the server did not start" >&2; cat "$W/server.log" >&2; exit 1
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null; }
conn() {   # WHO [s_client args]: three requests on one connection
    local who=$1; shift
    { printf 'GET /api/whoami HTTP/1.1\r\nHost: x\r\n\r\n'; sleep 0.3
      printf 'GET /api/status HTTP/1.1\r\nHost: x\r\n\r\n'; sleep 0.3
      printf 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'; sleep 0.5; } |
        timeout 10 openssl s_client -quiet -connect "127.0.0.1:$port" -CAfile "$PKI/root.pem" \
            -cert "$PKI/$who-chain.pem" -key "$PKI/$who.key" "$@" >/dev/null 2>&1
}

echo "pool-profile: base (start-up, three reloads)" >&2
start "$W/base.trace" 1
for _ in 1 2 3; do kill -HUP "$pid"; sleep 1; done
kill -USR2 "$pid"; sleep 0.2
stop

echo "pool-profile: one connection of each kind" >&2
traces=()
for who in admin viewer operator field unmapped contractor p384 rsa2048 deep expired other urn; do
    for tls in -tls1_3 -tls1_2; do
        t=$W/conn-$who$tls.trace
        start "$t"
        kill -USR2 "$pid"; sleep 0.1
        conn "$who" "$tls"
        sleep 0.3; kill -USR2 "$pid"; sleep 0.1
        stop
        traces+=("$t")
    done
done

echo "pool-profile: an idle connection" >&2
start "$W/idle.trace"
kill -USR2 "$pid"; sleep 0.1
{ printf 'GET /api/whoami HTTP/1.1\r\nHost: x\r\n\r\n'; sleep 3; } |
    openssl s_client -quiet -connect "127.0.0.1:$port" -CAfile "$PKI/root.pem" \
        -cert "$PKI/admin-chain.pem" -key "$PKI/admin.key" >/dev/null 2>&1 &
client=$!
sleep 1.5; kill -USR2 "$pid"; wait "$client"
stop

python3 "$here/pool_fit.py" "$bin" "$sessions" "$sizes" "$W/base.trace" "$W/idle.trace" "${traces[@]}"
