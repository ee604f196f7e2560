#!/usr/bin/env bash
# A refused client learns why: the TLS alert reaches it, over TLS 1.2 and
# 1.3, in at least 99 of 100 refused handshakes, as curl and openssl s_client
# report it; and a normal close is a FIN (the client reads to EOF), not a RST.
# A TLS 1.3 client sends its Finished and first request before it can see the
# alert: a close with that unread is a RST, which destroys the alert.
# Bounded: four rounds of 100 handshakes, each stopped after 120 s (x SLOW).
. "$(dirname "$0")/lib.sh"

flash=$(make_flash)
gh_start "$flash" || exit 1

# other: a certificate from a CA that ca.pem does not hold (unknown_ca)
round_curl() {   # VERSION: how many of 100 curl runs name the alert
    local v=$1 n=0 i stop=$(($(date +%s) + 120 * SLOW))
    for i in $(seq 1 100); do
        curl -sS --max-time $((10 * SLOW)) --tlsv"$v" --tls-max "$v" --cacert "$PKI/root.pem" \
            --cert "$PKI/other-chain.pem" --key "$PKI/other.key" \
            "https://127.0.0.1:$GH_PORT/api/whoami" >/dev/null 2>"$T/c.err"
        grep -qi "alert unknown ca" "$T/c.err" && n=$((n + 1))
        [ "$(date +%s)" -gt "$stop" ] && { echo "# curl round over TLS $v stopped after $i runs" >&2; break; }
    done
    echo "$n"
}
round_sclient() {   # VERSION
    local v=$1 n=0 i stop=$(($(date +%s) + 120 * SLOW))
    for i in $(seq 1 100); do
        [ "$(gh_alert other "-tls${v/./_}")" = "unknown ca" ] && n=$((n + 1))
        [ "$(date +%s)" -gt "$stop" ] && { echo "# s_client round over TLS $v stopped after $i runs" >&2; break; }
    done
    echo "$n"
}

for v in 1.2 1.3; do
    got=$(round_curl "$v")
    echo "# TLS $v: curl named the alert in $got of 100 refused handshakes (last error: $(cat "$T/c.err"))"
    expect "TLS $v: curl names the alert (unknown ca) in at least 99 of 100 refused handshakes" \
        "$([ "$got" -ge 99 ] && echo yes)" yes
    got=$(round_sclient "$v")
    echo "# TLS $v: openssl s_client saw the alert in $got of 100"
    expect "TLS $v: openssl s_client sees the alert in at least 99 of 100 refused handshakes" \
        "$([ "$got" -ge 99 ] && echo yes)" yes
done

# A normal close: a request with Connection: close, read until the end. A
# RST shows as ConnectionResetError (or a read error) instead of EOF.
cat >"$T/close.py" <<'EOF'
import socket, ssl, sys
port, pki, version, rounds = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(pki + "/root.pem")
ctx.load_cert_chain(pki + "/admin-chain.pem", pki + "/admin.key")
ctx.check_hostname = False
v = ssl.TLSVersion.TLSv1_3 if version == "1.3" else ssl.TLSVersion.TLSv1_2
ctx.minimum_version = ctx.maximum_version = v
eof = reset = other = 0
for _ in range(rounds):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with ctx.wrap_socket(raw, suppress_ragged_eofs=False) as s:
                s.sendall(b"GET /api/whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                data = b""
                while True:
                    # b"" is a close_notify: without one (a bare FIN),
                    # suppress_ragged_eofs=False raises SSLEOFError
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                # after close_notify, the TCP stream itself ends: a FIN
                # reads as b"", a RST as ConnectionResetError
                fin = s.unwrap().recv(1) == b""
                if data.startswith(b"HTTP/1.1 200") and fin:
                    eof += 1
                else:
                    other += 1
    except (ConnectionResetError, BrokenPipeError):
        reset += 1
    except Exception as e:
        print("error:", repr(e), file=sys.stderr)
        other += 1
print(eof, reset, other)
EOF
for v in 1.2 1.3; do
    read -r eof reset other < <(timeout $((60 * SLOW)) python3 "$T/close.py" "$GH_PORT" "$PKI" "$v" 20 2>"$T/py.err")
    echo "# TLS $v, 20 closes: ${eof:-?} read to EOF, ${reset:-?} reset, ${other:-?} otherwise $(head -c 300 "$T/py.err")"
    expect "TLS $v: a Connection: close answer ends in EOF, not a reset (20 of 20)" "${eof:-0} ${reset:-?}" "20 0"
done

# The raw TCP end of a refused handshake: after the alert, EOF (a FIN), not
# ECONNRESET, once the client has sent all it had (its Finished and request).
cat >"$T/refused.py" <<'EOF'
import socket, ssl, sys, time
port, pki, rounds = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(pki + "/root.pem")
ctx.load_cert_chain(pki + "/other-chain.pem", pki + "/other.key")
ctx.check_hostname = False
ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_3
named = reset = 0
for _ in range(rounds):
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    s = ctx.wrap_socket(raw, do_handshake_on_connect=False)
    try:
        s.do_handshake()
        s.sendall(b"GET /api/whoami HTTP/1.1\r\nHost: x\r\n\r\n")
        s.recv(100)
    except ssl.SSLError as e:
        if "UNKNOWN_CA" in str(e).upper():
            named += 1
    except ConnectionResetError:
        reset += 1
    s.close()
print(named, reset)
EOF
read -r named reset < <(timeout $((60 * SLOW)) python3 "$T/refused.py" "$GH_PORT" "$PKI" 20 2>"$T/py2.err")
echo "# a Python TLS 1.3 client refused 20 times: ${named:-?} saw unknown_ca, ${reset:-?} a reset $(head -c 300 "$T/py2.err")"
expect "a refused Python TLS 1.3 client sees unknown_ca, never a reset (20 of 20)" "${named:-0} ${reset:-?}" "20 0"

gh_curl admin /api/whoami >/dev/null
expect "the server still serves afterwards" "$(status)" 200
finish
