#!/usr/bin/env bash
# No heap allocation once the server serves: every allocation of
# wolfSSL and civetweb comes from the fixed pools (server/pool.c), our own
# code allocates nothing, and the C library is only asked for what does not
# allocate (the interfaces on GET /api/status come over rtnetlink into a
# stack buffer, platform/board_linux.c, not from getifaddrs()).
# alloc_count.so (tests/alloc_count.c) counts malloc/calloc/realloc/aligned
# allocations in the server between two SIGUSR2, so start-up (which may
# allocate) is left out, while 1,000 mutual-TLS requests run over new and
# keep-alive connections, TLS 1.3 and 1.2, every route, allowed and refused,
# uploads of the table and of the settings, valid and not, plus refused
# handshakes. Then the same counter, with the pools switched off
# (GATEHOUSE_SYSTEM_HEAP=1), must see the allocations of a few handshakes: it
# would have seen a malloc.
#
# Under AddressSanitizer (GH_SANITIZE=ON) the sanitizer's allocator is the
# only malloc: alloc_count.so is then built to ask the sanitizer for a
# callback on each allocation instead of replacing malloc. The count means
# the same there (with getifaddrs() back it counts the same 408 allocations
# as without the sanitizer), so the test runs in both builds.
. "$(dirname "$0")/lib.sh"

: "${ALLOC_COUNT_LIB:?set ALLOC_COUNT_LIB to alloc_count.so (tests/CMakeLists.txt)}"
PAR=4   # clients at once

# gh_start_counted FLASH [env...]: the server under the counter
gh_start_counted() {
    local flash=$1; shift
    env "$@" LD_PRELOAD="$ALLOC_COUNT_LIB" ALLOC_COUNT_OUT="$T/report" \
        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
        bash -c 'exec "$@"' _ $RUNNER "$GATEHOUSE" serve --flash "$flash" \
        --listen "127.0.0.1:$GH_PORT" >"$GH_LOG" 2>&1 &
    GH_PID=$!
    for _ in $(seq 1 $((100 * SLOW))); do
        grep -q "serving https" "$GH_LOG" 2>/dev/null && return 0
        kill -0 "$GH_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "# server did not start:"; sed 's/^/#   /' "$GH_LOG"; GH_PID=; return 1
}

# counted: what the counter saw between two SIGUSR2 around "$@"
count_window() {
    rm -f "$T/report"
    kill -USR2 "$GH_PID"; sleep 0.2
    "$@"
    sleep 0.3
    kill -USR2 "$GH_PID"
    for _ in $(seq 1 50); do [ -s "$T/report" ] && break; sleep 0.1; done
    awk '$1 == "allocations" {print $2}' "$T/report" 2>/dev/null
}

# The report's backtraces ("path(+0xOFFSET)[0xADDRESS]") with the function
# and line addr2line finds there, where it can read the file.
symbolize() {
    local line path off
    while IFS= read -r line; do
        if [[ $line =~ ^([^\(]+)\(\+(0x[0-9a-f]+)\) ]] && command -v addr2line >/dev/null; then
            path=${BASH_REMATCH[1]}
            off=$(printf '0x%x' $((BASH_REMATCH[2] - 1)))   # the call, not the return address
            echo "$line $(addr2line -f -i -p -e "$path" "$off" 2>/dev/null | tr '\n' ' ')"
        else
            echo "$line"
        fi
    done
}

# one connection: CLIENT TLSMAX METHOD PATH... (each path one request on it);
# prints one "status new-connections" line per request
conn() {
    local who=$1 tls=$2 method=$3; shift 3
    local args=() p m=(-X "$method")
    [ "$method" = HEAD ] && m=(-I)   # curl -X HEAD would wait for a body
    for p in "$@"; do args+=(-o /dev/null "https://127.0.0.1:$GH_PORT$p"); done
    curl -s --max-time $((20 * SLOW)) --cacert "$PKI/root.pem" --cert "$PKI/$who-chain.pem" \
        --key "$PKI/$who.key" --tls-max "$tls" "${m[@]}" \
        -w '%{http_code} %{num_connects}\n' "${args[@]}"
}
export -f conn
export PKI GH_PORT SLOW

routes=(/api/whoami /api/status /api/audit /api/certmap /api/settings / /ui/app.js /ui/app.css
        /nothing /api/whoami)
clients=(admin viewer operator field unmapped contractor)

# The jobs: 83 keep-alive connections of 10 requests, 100 connections of one
# request, 5 keep-alive connections of 10 HEAD requests, then 5 uploads of the
# table, 5 invalid ones, 5 of the settings and 5 invalid ones: 1,000 requests
# on 208 connections.
jobs() {
    local i
    for i in $(seq 0 82); do
        echo "${clients[i % 6]} $([ $((i % 2)) -eq 0 ] && echo 1.3 || echo 1.2) GET ${routes[*]}"
    done
    for i in $(seq 0 99); do
        echo "${clients[i % 6]} $([ $((i % 3)) -eq 0 ] && echo 1.2 || echo 1.3) GET ${routes[i % 10]}"
    done
    for i in $(seq 0 4); do echo "admin 1.3 HEAD ${routes[*]}"; done
}
settings='{"hostname":"%s","location":"","contact":"","syslog_server":"","ntp_servers":[]}'
put_settings() {
    gh_curl operator /api/settings -X PUT -H 'Content-Type: application/json' --data-binary "$1" >/dev/null
}
run_load() {
    jobs | xargs -P "$PAR" -L 1 bash -c 'conn "$@"' _ >"$T/statuses" 2>/dev/null
    local i
    for i in $(seq 1 5); do
        gh_put_table admin "$flash/certmap.ini" >/dev/null; echo "$(status) 1" >>"$T/statuses"
        gh_put_table admin "$T/bad.ini" >/dev/null; echo "$(status) 1" >>"$T/statuses"
        put_settings "$(printf "$settings" "gate-$i")"; echo "$(status) 1" >>"$T/statuses"
        put_settings '{"hostname":5}'; echo "$(status) 1" >>"$T/statuses"
    done
    # refused handshakes: no certificate, expired, another CA
    for who in - expired other; do gh_alert "$who" >/dev/null; done
    # what the status page showed in the window: the interfaces were read
    gh_curl viewer /api/status >"$T/status.json"
}

flash=$(make_flash)
printf '[certmap]\nversion = 1\n[map "x"]\nrole = admin\n' >"$T/bad.ini"
GH_PORT=$(free_port)
GH_LOG=$T/server.log
gh_start_counted "$flash" || exit 1

n=$(count_window run_load)
answered=$(awk '$1 ~ /^[1-5][0-9][0-9]$/' "$T/statuses" | wc -l)
connections=$(awk '{s += $2} END {print s + 0}' "$T/statuses")
expect "1,000 requests answered (none failed on the way)" "$answered" 1000
expect_match "... over new and keep-alive connections" "$connections" '^2[0-9][0-9]$'
expect_match "... with every kind of answer" "$(awk '{print $1}' "$T/statuses" | sort -u | tr '\n' ' ')" \
    '^200 400 403 404 '
expect "... the settings saved in the window" "$(gh_curl viewer /api/settings | jq -r .hostname)" gate-5
expect "... and the status page listing this machine's interfaces (lo among them)" \
    "$(jq -r 'any(.interfaces[]; .name == "lo") and .interfaces_total >= (.interfaces | length)' \
        "$T/status.json" 2>/dev/null)" true
expect "no heap allocation after start-up" "${n:-none}" 0
if [ "${n:-0}" != 0 ]; then
    echo "# what allocated (the first ones, with their call stacks):"
    symbolize <"$T/report" | sed 's/^/#   /' | head -200
fi
expect_no_match "the server logged no refusal for memory" "$(cat "$GH_LOG")" 'out of memory'
gh_stop

# The counter sees allocations: the same server on the C library's heap.
GH_PORT=$(free_port)
gh_start_counted "$flash" GATEHOUSE_SYSTEM_HEAP=1 || exit 1
few() {
    local i
    for i in 1 2 3 4 5; do conn admin 1.3 GET /api/whoami >/dev/null; done
}
n=$(count_window few)
# ~200 per mutual-TLS handshake with wolfSSL's OpenSSL layer (the decoded
# certificates, the transcript, the key schedule); at least 100 for five
expect_match "without the pools the counter sees the handshakes' allocations (5 handshakes: ${n:-none})" \
    "${n:-0}" '^[1-9][0-9]{2,}$'
gh_stop

finish
