#!/usr/bin/env bash
# Provisioning under concurrency: overlapping uploads, a SIGHUP while a body
# is still arriving, readers during a slow upload, SIGTERM in every state.
# Every request must be answered (a hang is a failure), a second change gets
# 200 or 409 "another change is being committed", never a lie about the
# table in force. A fresh server per case.
. "$(dirname "$0")/lib.sh"

# drip WHO METHOD PATH FILE SECONDS [half]: send FILE as the body of one
# request, spread over SECONDS; "half" stops after half the body and holds
# the connection. Prints the answer's status ("000" when none came).
cat >"$T/drip.py" <<'EOF'
import socket, ssl, sys, time
port, pki, who, method, path, body_file, seconds = sys.argv[1:8]
half = len(sys.argv) > 8 and sys.argv[8] == "half"
body = open(body_file, "rb").read()
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(pki + "/root.pem")
ctx.load_cert_chain(pki + "/" + who + "-chain.pem", pki + "/" + who + ".key")
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(port)), timeout=30),
                    server_hostname="127.0.0.1")
s.sendall(("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n"
           "Content-Type: application/octet-stream\r\nConnection: close\r\n\r\n"
           % (method, path, len(body))).encode())
steps = 10
chunk = max(1, (len(body) + steps - 1) // steps)
sent = 0
for i in range(steps):
    if half and sent >= len(body) // 2:
        time.sleep(60)
        break
    s.sendall(body[sent:sent + chunk])
    sent += len(body[sent:sent + chunk])
    time.sleep(float(seconds) / steps)
s.sendall(body[sent:])
try:
    data = s.recv(200).decode("latin-1")
    print(data.split(" ")[1] if data.startswith("HTTP/1.1 ") else "000")
except Exception:
    print("000")
EOF
drip() {
    timeout $((30 * SLOW)) python3 "$T/drip.py" "$GH_PORT" "$PKI" "$@" 2>>"$T/drip.err" || echo 000
}

now_ms() { date +%s%3N; }

# put_bg WHO FILE OUT: PUT /api/certmap in the background, status into OUT
put_bg() {
    curl -sS --max-time $((15 * SLOW)) --cacert "$PKI/root.pem" --cert "$PKI/$1-chain.pem" \
        --key "$PKI/$1.key" -o "$3.body" -w '%{http_code}' -T "$2" \
        "https://127.0.0.1:$GH_PORT/api/certmap" >"$3" 2>/dev/null &
}

# still_serving: a GET answers within 3 s
still_serving() {
    local t0; t0=$(now_ms)
    gh_curl viewer /api/whoami >/dev/null
    expect "$1: the server still answers" "$(status)" 200
    local dt=$(( $(now_ms) - t0 ))
    if [ "$dt" -le $((3000 * SLOW)) ]; then ok "$1: ... within 3 s (${dt} ms)"; else bad "$1: a GET took ${dt} ms"; fi
}

# stops_in_5s NAME: SIGTERM ends the server within 5 s
stops_in_5s() {
    local t0 i; t0=$(now_ms)
    kill -TERM "$GH_PID"
    for i in $(seq 1 $((60 * SLOW))); do
        kill -0 "$GH_PID" 2>/dev/null || break
        sleep 0.1
    done
    local dt=$(( $(now_ms) - t0 ))
    if kill -0 "$GH_PID" 2>/dev/null; then
        bad "$1: SIGTERM ignored (still running after ${dt} ms); killing it"
        kill -9 "$GH_PID"
    elif [ "$dt" -le $((5000 * SLOW)) ]; then
        ok "$1: SIGTERM ended the server in ${dt} ms"
    else
        bad "$1: SIGTERM took ${dt} ms (more than 5 s)"
    fi
    wait "$GH_PID" 2>/dev/null
    GH_PID=
}

tables() {
    { table_head; printf '[map "vera"]\nfingerprint = %s\nrole = operator\n' "$(fingerprint viewer)"; } >"$T/a.ini"
    { table_head; printf '[map "vera"]\nfingerprint = %s\nrole = viewer\n' "$(fingerprint viewer)"; } >"$T/b.ini"
    # over a few KiB so a dripped body takes its time
    for i in $(seq 1 150); do printf '; padding %04d ......................................\n' "$i"; done >>"$T/b.ini"
}

# ---- 1. two overlapping PUT /api/certmap, several rounds ----
flash=$(make_flash f1)
gh_start "$flash" || exit 1
tables
hung=0; both=""
for round in 1 2 3 4 5; do
    put_bg admin "$T/a.ini" "$T/r1"; p1=$!
    put_bg admin "$T/b.ini" "$T/r2"; p2=$!
    wait "$p1" "$p2"
    s1=$(cat "$T/r1"); s2=$(cat "$T/r2")
    both="$both $s1/$s2"
    case "$s1$s2" in 000*|*000) hung=1 ;; esac
done
expect "two overlapping uploads, 5 rounds: every one answered" "$hung" 0
expect_match "... each 200, or 409 for the second" "$both" '^( (200|409)/(200|409))+$'
expect_match "... and at least one of each pair 200" "$both" '^( (200/[0-9]+|[0-9]+/200))+$'
if grep -q 'another change' "$T/r1.body" "$T/r2.body" 2>/dev/null; then
    expect_match "a 409 says why" "$(cat "$T/r1.body" "$T/r2.body")" '"error":"another change is being committed"'
fi
final=$(gh_curl admin /api/certmap)
if [ "$final" = "$(cat "$T/a.ini")" ] || [ "$final" = "$(cat "$T/b.ini")" ]; then ok "the table in force is one of the two"
else bad "the table in force is neither upload"; fi
expect "... and the flash holds it" "$(cat "$flash/certmap.ini")" "$final"

# one upload dripping while another commits, then the dripping one commits
# (it used to wait for its own reference to the old generation)
put_fast() { sleep 1; put_bg admin "$T/a.ini" "$T/r3"; }
put_fast & pf=$!
s=$(drip admin PUT /api/certmap "$T/b.ini" 3)
wait "$pf"; sleep 0.1; for _ in $(seq 1 $((100 * SLOW))); do [ -s "$T/r3" ] && break; sleep 0.1; done
expect "a slow upload overlapped by a fast one: both answered 200" "$s $(cat "$T/r3")" "200 200"
expect "... the slow one, which committed last, is in force" "$(gh_curl admin /api/certmap)" "$(cat "$T/b.ini")"
still_serving "after overlapping uploads"
stops_in_5s "after overlapping uploads"

# ---- 2. SIGHUP while a body is arriving; readers are not held up ----
flash=$(make_flash f2)
gh_start "$flash" || exit 1
tables
hup_and_read() {
    sleep 1
    gh_reload
    local t0; t0=$(now_ms)
    gh_curl viewer /api/settings >/dev/null
    echo "$(status) $(( $(now_ms) - t0 ))" >"$T/reader"
}
hup_and_read & hr=$!
s=$(drip admin PUT /api/certmap "$T/b.ini" 3)
wait "$hr"
expect "an upload whose body was arriving when SIGHUP landed: 200" "$s" 200
read -r rs rt <"$T/reader"
expect "a viewer's GET /api/settings during the upload: 200" "$rs" 200
if [ "$rt" -le $((2000 * SLOW)) ]; then ok "... answered in ${rt} ms"; else bad "... took ${rt} ms"; fi
expect "the upload is in force" "$(gh_curl admin /api/certmap)" "$(cat "$T/b.ini")"
gh_reload
expect_no_match "the SIGHUP after it reloads (not postponed for ever)" "$(tail -1 "$GH_LOG")" 'refused'
still_serving "after SIGHUP during an upload"
stops_in_5s "after SIGHUP during an upload"

# ---- 3. two overlapping PUT /api/settings; readers during a slow one ----
flash=$(make_flash f3)
gh_start "$flash" || exit 1
printf '{"hostname":"gate-slow","location":"%s"}' "$(printf 'x%.0s' $(seq 1 100))" >"$T/slow.json"
read_during() {
    sleep 1
    local t0; t0=$(now_ms)
    gh_curl viewer /api/settings >/dev/null
    echo "$(status) $(( $(now_ms) - t0 ))" >"$T/reader"
    gh_curl admin /api/settings -X PUT -H 'Content-Type: application/json' --data-binary '{"hostname":"gate-fast"}' >/dev/null
    status >"$T/fast"
}
read_during & rd=$!
s=$(drip admin PUT /api/settings "$T/slow.json" 4)
wait "$rd"
read -r rs rt <"$T/reader"
expect "a viewer's GET /api/settings while a PUT body drips: 200" "$rs" 200
if [ "$rt" -le $((2000 * SLOW)) ]; then ok "... answered in ${rt} ms (not held by the writer)"; else bad "... took ${rt} ms"; fi
expect "the fast PUT /api/settings during the slow one: 200" "$(cat "$T/fast")" 200
expect "the slow one: 200" "$s" 200
expect "... and, committed last, it is in force" "$(gh_curl viewer /api/settings | jq -r .hostname)" gate-slow
hung=0; both=""
for round in 1 2 3; do
    pids=()
    for k in 1 2; do
        curl -sS --max-time $((15 * SLOW)) --cacert "$PKI/root.pem" --cert "$PKI/admin-chain.pem" \
            --key "$PKI/admin.key" -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
            --data-binary "{\"hostname\":\"gate-$round-$k\"}" "https://127.0.0.1:$GH_PORT/api/settings" >"$T/s$k" 2>/dev/null &
        pids+=($!)
    done
    wait "${pids[@]}"
    both="$both $(cat "$T/s1")/$(cat "$T/s2")"
done
expect_match "two overlapping PUT /api/settings, 3 rounds: 200 or 409 each, never a hang" "$both" '^( (200|409)/(200|409))+$'
expect_match "... the hostname in force is one of the last round's" "$(gh_curl viewer /api/settings | jq -r .hostname)" '^gate-3-[12]$'
expect "... and viewers still read the settings" "$(status)" 200
still_serving "after overlapping settings"
stops_in_5s "after overlapping settings"

# ---- 4. SIGTERM while an upload's body is half sent ----
flash=$(make_flash f4)
gh_start "$flash" || exit 1
tables
cp "$flash/certmap.ini" "$T/orig4.ini"
drip admin PUT /api/certmap "$T/b.ini" 4 half >"$T/half" &
dp=$!
sleep 1.5
stops_in_5s "SIGTERM during a half-sent upload"
kill "$dp" 2>/dev/null; wait "$dp" 2>/dev/null
expect "... and the half-sent table never reached the flash" "$(cat "$flash/certmap.ini")" "$(cat "$T/orig4.ini")"

# ---- 5. SIGTERM during a slow settings upload and a SIGHUP together ----
flash=$(make_flash f5)
gh_start "$flash" || exit 1
drip admin PUT /api/settings "$T/slow.json" 6 half >/dev/null &
dp=$!
sleep 1
kill -HUP "$GH_PID"
sleep 0.3
stops_in_5s "SIGTERM after a SIGHUP, during a half-sent settings upload"
kill "$dp" 2>/dev/null; wait "$dp" 2>/dev/null

# ---- 6. a reader that holds the old generation: a change waits a bounded time ----
# A client pipelines GETs of a large table and reads none of the answers: its
# worker stalls in the middle of an answer, holding the generation it began
# with, for as long as the kernel's buffers keep it waiting.
flash=$(make_flash f6)
gh_start "$flash" || exit 1
tables
{ table_head; for i in $(seq 1 1000); do printf '; padding line %05d ..........................................\n' "$i"; done; } >"$T/big.ini"
gh_put_table admin "$T/big.ini" >/dev/null
expect "a 60 KiB table is accepted" "$(status)" 200
cat >"$T/hold.py" <<'PY'
import socket, ssl, sys, time
port, pki, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(pki + "/root.pem")
ctx.load_cert_chain(pki + "/admin-chain.pem", pki + "/admin.key")
raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)   # before connect: a small window
raw.settimeout(30)
raw.connect(("127.0.0.1", int(port)))
s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
s.sendall(b"GET /api/certmap HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" * 200)
time.sleep(seconds)
PY
hold_reader() {
    timeout $((40 * SLOW)) python3 "$T/hold.py" "$GH_PORT" "$PKI" $((20 * SLOW)) 2>>"$T/drip.err" &
    hold=$!
    sleep $((2 * SLOW))
}
hold_reader
answers=""
for t in a b a b; do
    t0=$(now_ms)
    body=$(gh_put_table admin "$T/$t.ini")
    dt=$(( $(now_ms) - t0 ))
    answers="$answers $(status)"
    [ "$(status)" = 200 ] && last=$t
    [ "$(status)" = 503 ] && expect_match "a 503 says why" "$(printf '%s' "$body" | jq -r .error)" 'in flight still use'
    if [ "$dt" -gt $((4000 * SLOW)) ]; then bad "an upload beside a stalled reader took ${dt} ms"; fi
done
echo "# uploads beside a stalled reader answered:$answers"
expect_match "uploads beside a stalled reader: 200, or 503 after a bounded wait" "$answers" '^( (200|503))+$'
expect "... the table in force is the last one answered 200" "$(gh_curl admin /api/certmap)" "$(cat "$T/$last.ini")"
before=$(grep -c "configuration generation" "$GH_LOG")
kill -HUP "$GH_PID"
still_serving "with a stalled reader and a SIGHUP"
kill "$hold" 2>/dev/null; wait "$hold" 2>/dev/null
for _ in $(seq 1 $((150 * SLOW))); do
    [ "$(grep -c "configuration generation" "$GH_LOG")" -gt "$before" ] && break
    sleep 0.1
done
expect "the SIGHUP goes through (at once, or once the reader is gone)" "$(grep -c "configuration generation" "$GH_LOG")" $((before + 1))
hold_reader
stops_in_5s "SIGTERM with a reader stalled in an answer"
kill "$hold" 2>/dev/null; wait "$hold" 2>/dev/null

finish
