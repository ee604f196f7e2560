# lib.sh: what every integration test shares. Sourced by tests/integration/*.sh.
#
# The tests run the real `gatehouse` binary on a free loopback port and talk to
# it with real clients (curl, openssl s_client). Environment (set by ctest):
#   GATEHOUSE  the binary (or a wrapper: GATEHOUSE_RUNNER, e.g. "qemu-aarch64 -L ...")
#   PKI        a folder made by certs/make-pki.sh
#   SRC        the source tree
set -u   # not -e: a test goes on after a failed check and reports them all

: "${GATEHOUSE:?set GATEHOUSE to the gatehouse binary}"
: "${PKI:?set PKI to a folder made by certs/make-pki.sh}"
: "${SRC:?set SRC to the source tree}"
RUNNER=${GATEHOUSE_RUNNER:-}
# under qemu-user everything is slower: scale the waits
SLOW=${GATEHOUSE_SLOW:-1}

T=$(mktemp -d "${TMPDIR:-/tmp}/gh-test.XXXXXX")
GH_PID=
GH_PORT=
FAILS=0
PASSES=0

cleanup() {
    gh_stop || true
    if [ "$FAILS" -eq 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$T"; else echo "# test files kept in $T"; fi
}
trap cleanup EXIT

ok()   { PASSES=$((PASSES + 1)); echo "ok - $*"; }
bad()  { FAILS=$((FAILS + 1)); echo "not ok - $*"; }
# expect DESCRIPTION ACTUAL EXPECTED
expect() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got [$2], expected [$3]"; fi; }
# expect_match DESCRIPTION TEXT REGEX
expect_match() { if printf '%s' "$2" | grep -Eq -- "$3"; then ok "$1"; else bad "$1: [$2] does not match /$3/"; fi; }
expect_no_match() { if printf '%s' "$2" | grep -Eq -- "$3"; then bad "$1: [$2] matches /$3/"; else ok "$1"; fi; }

finish() {
    echo "$PASSES passed, $FAILS failed"
    [ "$FAILS" -eq 0 ]
}

# A flash folder from the demo (certs/make-flash.sh), into $T/NAME.
make_flash() {
    local dir=$T/${1:-flash}
    mkdir -p "$dir"
    "$SRC/certs/make-flash.sh" "$PKI" "$dir" >/dev/null
    echo "$dir"
}

free_port() {
    # below Linux's ephemeral range (32768-60999): a port some client socket
    # holds as its source port cannot be bound by a listener
    local p
    for _ in $(seq 1 50); do
        p=$((10000 + $(od -An -N2 -tu2 /dev/urandom) % 22000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
    done
    return 1
}

# gh_start FLASH [extra serve args...]: start the server, wait until it answers.
gh_start() {
    local flash=$1; shift
    local i try
    for try in 1 2 3; do
        GH_PORT=$(free_port)
        GH_LOG=$T/server-$GH_PORT.log
        $RUNNER "$GATEHOUSE" serve --flash "$flash" --listen "127.0.0.1:$GH_PORT" "$@" >"$GH_LOG" 2>&1 &
        GH_PID=$!
        for i in $(seq 1 $((100 * SLOW))); do
            if grep -q "serving https" "$GH_LOG" 2>/dev/null; then return 0; fi
            if ! kill -0 "$GH_PID" 2>/dev/null; then
                GH_PID=
                # another test took the port between our check and the bind
                if grep -q "Failed to setup server ports" "$GH_LOG"; then continue 2; fi
                echo "# server exited early:"; sed 's/^/#   /' "$GH_LOG"; return 1
            fi
            sleep 0.1
        done
        break
    done
    echo "# server did not start in time:"; sed 's/^/#   /' "$GH_LOG"
    return 1
}

gh_stop() {
    if [ -n "$GH_PID" ]; then
        kill -TERM "$GH_PID" 2>/dev/null || true
        wait "$GH_PID" 2>/dev/null || true
        GH_PID=
    fi
}

# gh_curl CLIENT PATH [curl args]: body to stdout; HTTP status in $T/status.
# CLIENT is a PKI name (admin, viewer, ...) or "-" for no certificate.
gh_curl() {
    local who=$1 path=$2; shift 2
    local certargs=()
    if [ "$who" != "-" ]; then certargs=(--cert "$PKI/$who-chain.pem" --key "$PKI/$who.key"); fi
    rm -f "$T/body"
    curl -sS --max-time $((10 * SLOW)) --cacert "$PKI/root.pem" "${certargs[@]}" \
        -o "$T/body" -w '%{http_code}' "$@" "https://127.0.0.1:$GH_PORT$path" >"$T/status" 2>"$T/curl.err" || true
    cat "$T/body" 2>/dev/null || true
}
status() { cat "$T/status"; }

# gh_alert CLIENT [s_client args]: the TLS alert the server sent, as openssl
# prints it ("certificate expired", "unknown ca", ...), or "none".
gh_alert() {
    local who=$1; shift
    local certargs=()
    # -cert_chain: send the CA certificates along, as curl and browsers do
    if [ "$who" != "-" ]; then certargs=(-cert "$PKI/$who.pem" -cert_chain "$PKI/$who-chain.pem" -key "$PKI/$who.key"); fi
    # send a request so a TLS 1.3 client reads the server's verdict
    printf 'GET /api/whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
        timeout $((10 * SLOW)) openssl s_client -connect "127.0.0.1:$GH_PORT" -CAfile "$PKI/root.pem" \
            -ign_eof "${certargs[@]}" "$@" >"$T/sclient.out" 2>&1 || true
    local a
    a=$(grep -Eo 'alert [a-z ]+' "$T/sclient.out" | head -1 | sed 's/^alert //; s/ *$//')
    echo "${a:-none}"
}

fingerprint() { awk -v n="$1" '$1 == n {print $2}' "$PKI/fingerprints.txt"; }

# gh_put_table CLIENT FILE [QUERY]: PUT /api/certmap; body to stdout, status in $T/status.
gh_put_table() {
    gh_curl "$1" "/api/certmap${3:-}" -X PUT --data-binary "@$2" -H 'Content-Type: text/plain'
}

# A table whose first mapping keeps admin an admin (so uploads need no force).
table_head() {
    printf '[certmap]\nversion = 1\n\n[map "admin"]\nfingerprint = %s\nrole = admin\n\n' "$(fingerprint admin)"
}

# keepalive_two WHO PATH GAP: two requests on ONE TLS connection, GAP seconds
# apart; run `between` (a function the test defines) during the gap. Prints
# the two HTTP status codes, space-separated.
keepalive_two() {
    local who=$1 path=$2 gap=$3
    local req="GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    local last="GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    { printf "$req"; sleep "$gap"; printf "$last"; sleep $((2 * SLOW)); } |
        timeout $((20 * SLOW)) openssl s_client -quiet -connect "127.0.0.1:$GH_PORT" -CAfile "$PKI/root.pem" \
            -cert "$PKI/$who-chain.pem" -key "$PKI/$who.key" >"$T/ka.out" 2>"$T/ka.err" &
    local spid=$!
    sleep "$(awk -v g="$gap" 'BEGIN{print g/2}')"
    between
    wait "$spid" 2>/dev/null || true
    grep -aEo 'HTTP/1\.1 [0-9]{3} ' "$T/ka.out" | awk '{print $2}' | tr '\n' ' ' | sed 's/ $//'
}

# reload: SIGHUP and wait until the server logged the result
gh_reload() {
    local before; before=$(grep -c -E "configuration generation|reload refused" "$GH_LOG" || true)
    kill -HUP "$GH_PID"
    for _ in $(seq 1 $((50 * SLOW))); do
        [ "$(grep -c -E "configuration generation|reload refused" "$GH_LOG" || true)" -gt "$before" ] && return 0
        sleep 0.1
    done
    echo "# reload not logged"; return 1
}
