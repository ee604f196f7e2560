#!/usr/bin/env bash
# bench.sh: Gatehouse against nginx on this machine, side by side.
#
#   tests/bench/bench.sh            (from the source tree; about 3 minutes)
#
# Figures, never pass/fail; not part of CI. Needs nginx-light, libssl-dev,
# taskset, and 2 cores: each server runs on SERVER_CPU (default 0), the client
# load on CLIENT_CPU (default 1). Both servers get the same P-256 PKI
# (certs/make-pki.sh), TLS 1.3 only, TLS_AES_128_GCM_SHA256, a P-256 key
# share, no tickets and no session cache, a client certificate required and
# checked against the same CAs and CRL, one request log line per request, and
# the same client (tests/bench/mtls_load.c, OpenSSL, server certificate not
# verified).
#
# What it measures (server CPU time is the sum of the server's threads'
# on-CPU time, /proc/PID/task/*/schedstat, before and after the load):
#   handshakes/s/core   full mutual-TLS handshakes (+ one small GET each,
#                       the connection then closed) per server CPU-second
#   keep-alive cost     server CPU time per GET on open connections
#   RAM per idle conn   RSS growth (and its anonymous part) over N idle
#                       mutual-TLS connections (N = 10, 100, 500), divided by
#                       N; for Gatehouse also the TLS pool bytes an idle
#                       connection holds (/api/status, or gdb)
#   idle PSS            the server process(es) after start-up, before any client;
#                       for Gatehouse also its release profile (-Os, section GC,
#                       LTO: what a device ships), a third build
#   crypto ceiling      1 / (P-256 key generation + ECDH + sign + 2 verifies),
#                       from wolfCrypt's benchmark built from the same wolfSSL
#                       and user_settings.h as the server
# civetweb serves one connection per worker thread, so 500 idle connections
# need 500 workers: the RAM figures use a second build with GH_WORKERS=510.
#
# Environment: BUILD (default build-bench), BUILD_WIDE (build-bench-500),
# BUILD_REL (build-bench-rel),
# BENCH_CMAKE_ARGS (more -D for both builds), SECONDS_HS (10), SECONDS_KA (5),
# THREADS (8), SERVER_CPU, CLIENT_CPU, NO_BUILD=1 (use the builds as they are).
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(realpath -m "${BUILD:-$src/build-bench}")
BUILD_WIDE=$(realpath -m "${BUILD_WIDE:-$src/build-bench-500}")
BUILD_REL=$(realpath -m "${BUILD_REL:-$src/build-bench-rel}")
SECONDS_HS=${SECONDS_HS:-10}
SECONDS_KA=${SECONDS_KA:-5}
THREADS=${THREADS:-8}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
IDLE_COUNTS=${IDLE_COUNTS:-"10 100 500"}
W=$(mktemp -d "${TMPDIR:-/tmp}/gh-bench.XXXXXX")
NGINX_PID=
GH_PID=
cleanup() {
    [ -n "$GH_PID" ] && kill "$GH_PID" 2>/dev/null && wait "$GH_PID" 2>/dev/null
    [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT
say() { echo "bench: $*" >&2; }
die() { say "$*"; exit 1; }

for tool in nginx taskset cc; do command -v "$tool" >/dev/null || die "needs $tool"; done
[ -f /usr/include/openssl/ssl.h ] || die "needs libssl-dev (the client load is OpenSSL)"

# ---------------------------------------------------------------- builds
build() {   # DIR EXTRA-CMAKE-ARGS...
    local dir=$1; shift
    if [ -z "${NO_BUILD:-}" ]; then
        say "building $dir"
        cmake -S "$src" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGH_TESTS=OFF \
            ${BENCH_CMAKE_ARGS:-} "$@" >"$W/cmake.log" 2>&1 &&
            cmake --build "$dir" -j2 >"$W/build.log" 2>&1 ||
            { tail -30 "$W/cmake.log" "$W/build.log" >&2; die "build of $dir failed"; }
    fi
    [ -x "$dir/server/gatehouse" ] || die "$dir/server/gatehouse missing"
}
build "$BUILD"
build "$BUILD_WIDE" "-DCMAKE_C_FLAGS=-DGH_WORKERS=510"   # budget.h takes -D from the compiler
build "$BUILD_REL" -DCMAKE_BUILD_TYPE=MinSizeRel -DGH_RELEASE_SMALL=ON
LOAD=$BUILD/mtls_load
cc -O2 -pthread "$src/tests/bench/mtls_load.c" -o "$LOAD" -lssl -lcrypto || die "mtls_load does not build"
wolf=$(sed -n 's/^WOLFSSL_DIR:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
[ -n "$wolf" ] || wolf=$(awk -F= '/^GH_DEPS_DIR:/ {print $2 "/src/wolfssl"}' "$BUILD/CMakeCache.txt")
cc -O2 -DWOLFSSL_USER_SETTINGS $(sed -n 's/^GH_FREE_PEER_CERT:BOOL=ON$/-DGH_FREE_PEER_CERT/p' "$BUILD/CMakeCache.txt") \
    -I"$src/toolchain" -I"$wolf" "$wolf/wolfcrypt/benchmark/benchmark.c" -o "$BUILD/wc_bench" \
    "$BUILD/libgh_wolfssl.a" -lm -lpthread -ldl 2>"$W/wcb.log" || die "wolfCrypt's benchmark does not build: $(tail -3 "$W/wcb.log")"

# ---------------------------------------------------------------- PKI, flash
PKI=$BUILD/pki
[ -f "$PKI/admin.pem" ] || bash "$src/certs/make-pki.sh" "$PKI" >/dev/null 2>&1 || die "make-pki failed"
FLASH=$W/flash
bash "$src/certs/make-flash.sh" "$PKI" "$FLASH" >/dev/null || die "make-flash failed"
CERT=$PKI/admin-chain.pem
KEY=$PKI/admin.key

# below the ephemeral range (/proc/sys/net/ipv4/ip_local_port_range), where
# the client's own closed connections would hold ports in TIME_WAIT
free_port() {
    local p lo
    lo=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
    for _ in $(seq 50); do
        p=$((10000 + RANDOM % (lo - 10000)))
        ss -Htan "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
    done
}

# ---------------------------------------------------------------- measuring
cpu_ns() {   # PID...: on-CPU nanoseconds of all their threads
    local p t s=0
    for p in "$@"; do
        for t in /proc/"$p"/task/*/schedstat; do
            [ -r "$t" ] && s=$((s + $(cut -d' ' -f1 "$t")))
        done
    done
    echo "$s"
}
mem_kb() {   # FIELD PID...: summed Rss or Pss from smaps_rollup
    local f=$1 p s=0; shift
    for p in "$@"; do s=$((s + $(awk -v f="$f:" '$1 == f {print $2}' "/proc/$p/smaps_rollup"))); done
    echo "$s"
}
client() { taskset -c "$CLIENT_CPU" "$LOAD" "$@"; }
server_pids() { if [ -n "$GH_PID" ]; then echo "$GH_PID"; else echo "$NGINX_PID $(pgrep -P "$NGINX_PID")"; fi; }

start_gatehouse() {   # BINARY
    for _ in 1 2 3; do
        PORT=$(free_port)
        taskset -c "$SERVER_CPU" "$1" serve --flash "$FLASH" --listen "127.0.0.1:$PORT" >"$W/gatehouse.log" 2>&1 &
        GH_PID=$!
        for _ in $(seq 100); do
            grep -q "serving https" "$W/gatehouse.log" && return 0
            kill -0 "$GH_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill "$GH_PID" 2>/dev/null; wait "$GH_PID" 2>/dev/null; GH_PID=
    done
    die "gatehouse did not start: $(tail -3 "$W/gatehouse.log")"
}
start_nginx() {
    mkdir -p "$W/nginx/logs"
    cat "$PKI/crl.pem" "$PKI/crl-root.pem" >"$W/nginx/crl.pem"
    for _ in 1 2 3; do
        PORT=$(free_port)
        cat >"$W/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $W/nginx/nginx.pid;
error_log $W/nginx/logs/error.log;
events { worker_connections 2048; }
http {
    access_log $W/nginx/logs/access.log;
    keepalive_timeout 60s;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$PORT ssl;
        ssl_certificate $FLASH/server.pem;
        ssl_certificate_key $FLASH/server.key;
        ssl_protocols TLSv1.3;
        ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256;
        ssl_ecdh_curve prime256v1;
        ssl_session_tickets off;
        ssl_session_cache off;
        ssl_verify_client on;
        ssl_verify_depth 3;
        ssl_client_certificate $FLASH/ca.pem;
        ssl_crl $W/nginx/crl.pem;
        location / {
            default_type application/json;
            return 200 '{"role":"admin","subject":"\$ssl_client_s_dn","serial":"\$ssl_client_serial"}';
        }
    }
}
EOF
        taskset -c "$SERVER_CPU" nginx -p "$W/nginx" -c "$W/nginx/nginx.conf" 2>>"$W/nginx/logs/start.log" &
        NGINX_PID=$!
        for _ in $(seq 50); do
            [ -n "$(pgrep -P "$NGINX_PID")" ] && (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && return 0
            kill -0 "$NGINX_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill "$NGINX_PID" 2>/dev/null; wait "$NGINX_PID" 2>/dev/null; NGINX_PID=
    done
    die "nginx did not start: $(tail -3 "$W/nginx/logs/error.log")"
}
stop_servers() {
    if [ -n "$GH_PID" ]; then kill "$GH_PID"; wait "$GH_PID" 2>/dev/null; GH_PID=; fi
    if [ -n "$NGINX_PID" ]; then kill "$NGINX_PID"; wait "$NGINX_PID" 2>/dev/null; NGINX_PID=; fi
    sleep 0.5
}

# Gatehouse's TLS pool bytes in use: from /api/status when it reports them,
# else read from the process with gdb (the bench builds keep symbols)
pool_used() {
    [ -n "$GH_PID" ] || return 0
    local u
    u=$(curl -s --cacert "$PKI/root.pem" --cert "$CERT" --key "$KEY" "https://127.0.0.1:$PORT/api/status" |
        sed -n 's/.*"pools":{"tls":{[^}]*"used":\([0-9]*\).*/\1/p')
    if [ -z "$u" ] && command -v gdb >/dev/null; then
        u=$(gdb -p "$GH_PID" -batch -ex 'print tls_used_' 2>/dev/null | sed -n 's/^\$1 = //p')
    fi
    echo "$u"
}

# run_cpu MODE PATH SECONDS: "count cpu_ns" for the running server
run_cpu() {
    local pids before after out
    pids=$(server_pids)
    client handshakes "$PORT" "$CERT" "$KEY" "$2" 2 1 >/dev/null   # warm-up
    before=$(cpu_ns $pids)
    out=$(client "$1" "$PORT" "$CERT" "$KEY" "$2" "$THREADS" "$3")
    after=$(cpu_ns $pids)
    set -- $out
    [ "$4" = 0 ] || say "$1: $4 failed"
    echo "$2 $((after - before))"
}

# idle_ram N: "rss anon pool" bytes per connection for the running server: RSS
# and anonymous-memory growth over N idle connections, and (Gatehouse) the TLS
# pool bytes they hold
idle_ram() {
    local n=$1 pids r0 p0 r1 p1 u0 u1 fifo out
    pids=$(server_pids)
    client handshakes "$PORT" "$CERT" "$KEY" "$PATH_GET" 1 1 >/dev/null   # first-use pages
    sleep 0.5
    r0=$(mem_kb Rss $pids); p0=$(mem_kb Anonymous $pids); u0=$(pool_used)
    fifo=$W/idle.in; rm -f "$fifo"; mkfifo "$fifo"
    client idle "$PORT" "$CERT" "$KEY" "$PATH_GET" "$n" <"$fifo" >"$W/idle.out" &
    local cpid=$!
    exec 7>"$fifo"
    for _ in $(seq 1200); do [ -s "$W/idle.out" ] && break; sleep 0.05; done
    out=$(cat "$W/idle.out")
    [ -n "$out" ] || { say "idle $n: not all connected within a minute"; kill "$cpid"; }
    r1=$(mem_kb Rss $pids); p1=$(mem_kb Anonymous $pids); u1=$(pool_used)
    exec 7>&-
    wait "$cpid"
    set -- $out
    [ "${4:-1}" = 0 ] || say "idle $n: ${4:-?} failed"
    local perconn="-"
    [ -n "$u0" ] && [ -n "$u1" ] && perconn=$(( (u1 - u0) / n ))
    echo "$(( (r1 - r0) * 1024 / n )) $(( (p1 - p0) * 1024 / n )) $perconn"
}

# ---------------------------------------------------------------- run
declare -A R
for server in gatehouse nginx; do
    say "$server: handshakes, keep-alive"
    if [ "$server" = gatehouse ]; then start_gatehouse "$BUILD/server/gatehouse"; PATH_GET=/api/whoami
    else start_nginx; PATH_GET=/whoami; fi
    sleep 0.5
    R[$server,pss]=$(mem_kb Pss $(server_pids))
    read -r n ns <<<"$(run_cpu handshakes "$PATH_GET" "$SECONDS_HS")"
    R[$server,hs]=$n; R[$server,hs_ns]=$ns
    read -r n ns <<<"$(run_cpu keepalive "$PATH_GET" "$SECONDS_KA")"
    R[$server,ka]=$n; R[$server,ka_ns]=$ns
    stop_servers
    for n in $IDLE_COUNTS; do
        say "$server: $n idle connections"
        if [ "$server" = gatehouse ]; then start_gatehouse "$BUILD_WIDE/server/gatehouse"; else start_nginx; fi
        sleep 0.5
        R[$server,idle$n]=$(idle_ram "$n")
        stop_servers
    done
done

say "gatehouse, release profile: idle PSS"
start_gatehouse "$BUILD_REL/server/gatehouse"
sleep 0.5
rel_pss=$(mem_kb Pss "$GH_PID"); rel_anon=$(mem_kb Pss_Anon "$GH_PID"); rel_file=$(mem_kb Pss_File "$GH_PID")
stop_servers
size_rel=$(stat -c %s "$BUILD_REL/server/gatehouse")

say "wolfCrypt: the crypto ceiling"
ceil=$(taskset -c "$SERVER_CPU" "$BUILD/wc_bench" -ecc-kg -ecc -p256 4096 2>&1 | awk '
    /SECP256R1/ && /key gen/ {kg = $(NF-3)} /SECP256R1/ && /agree/ {ag = $(NF-3)}
    /SECP256R1/ && /sign/ {sg = $(NF-3)} /SECP256R1/ && /verify/ {vf = $(NF-3)}
    END { if (kg && ag && sg && vf) printf "%.0f %.4f %.4f %.4f %.4f", 1000 / (kg + ag + sg + 2 * vf), kg, ag, sg, vf }')
read -r ceiling kg ag sg vf <<<"$ceil"

strip -o "$W/gatehouse.stripped" "$BUILD/server/gatehouse"
size_stripped=$(stat -c %s "$W/gatehouse.stripped")

# ---------------------------------------------------------------- table
awk -v cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" \
    -v gh_hs="${R[gatehouse,hs]}" -v gh_hs_ns="${R[gatehouse,hs_ns]}" \
    -v ng_hs="${R[nginx,hs]}" -v ng_hs_ns="${R[nginx,hs_ns]}" \
    -v gh_ka="${R[gatehouse,ka]}" -v gh_ka_ns="${R[gatehouse,ka_ns]}" \
    -v ng_ka="${R[nginx,ka]}" -v ng_ka_ns="${R[nginx,ka_ns]}" \
    -v gh_pss="${R[gatehouse,pss]}" -v ng_pss="${R[nginx,pss]}" \
    -v idle="$IDLE_COUNTS" -v gh_idle="$(for n in $IDLE_COUNTS; do printf '%s;' "${R[gatehouse,idle$n]}"; done)" \
    -v ng_idle="$(for n in $IDLE_COUNTS; do printf '%s;' "${R[nginx,idle$n]}"; done)" \
    -v ceiling="$ceiling" -v kg="$kg" -v ag="$ag" -v sg="$sg" -v vf="$vf" \
    -v rel_pss="$rel_pss" -v rel_anon="$rel_anon" -v rel_file="$rel_file" -v size_rel="$size_rel" \
    -v size="$size_stripped" -v secs="$SECONDS_HS" -v threads="$THREADS" '
function ratio(a, b) { return b > 0 ? sprintf("%.2fx", a / b) : "-" }
BEGIN {
    gh_rate = gh_hs_ns > 0 ? gh_hs / (gh_hs_ns / 1e9) : 0
    ng_rate = ng_hs_ns > 0 ? ng_hs / (ng_hs_ns / 1e9) : 0
    gh_ka_us = gh_ka > 0 ? gh_ka_ns / 1e3 / gh_ka : 0
    ng_ka_us = ng_ka > 0 ? ng_ka_ns / 1e3 / ng_ka : 0
    printf "\nGatehouse vs nginx 1.22 (one worker), each server on one core; %s\n", cpu
    printf "mutual TLS 1.3, TLS_AES_128_GCM_SHA256, P-256 key share and certificates, no tickets; %d client threads\n\n", threads
    printf "| %-44s | %12s | %12s | %9s |\n", "", "Gatehouse", "nginx", "GH/nginx"
    printf "|%s|%s|%s|%s|\n", "----------------------------------------------", "--------------", "--------------", "-----------"
    printf "| %-44s | %12.0f | %12.0f | %9s |\n", "full handshakes per server CPU-second", gh_rate, ng_rate, ratio(gh_rate, ng_rate)
    printf "| %-44s | %12.0f | %12.0f | %9s |\n", "  (handshakes done in " secs " s, wall clock)", gh_hs, ng_hs, ratio(gh_hs, ng_hs)
    printf "| %-44s | %10.1f us | %10.1f us | %9s |\n", "server CPU per keep-alive GET", gh_ka_us, ng_ka_us, ratio(gh_ka_us, ng_ka_us)
    n = split(idle, N, " "); split(gh_idle, G, ";"); split(ng_idle, X, ";")
    for (i = 1; i <= n; i++) {
        split(G[i], g, " "); split(X[i], x, " ")
        printf "| %-44s | %9.1f KiB | %9.1f KiB | %9s |\n", "RSS growth per idle connection, " N[i] " open", g[1] / 1024, x[1] / 1024, ratio(g[1], x[1])
        printf "| %-44s | %9.1f KiB | %9.1f KiB | %9s |\n", "  of which anonymous memory", g[2] / 1024, x[2] / 1024, ratio(g[2], x[2])
        if (g[3] != "-") printf "| %-44s | %9.1f KiB | %12s | %9s |\n", "  TLS pool bytes held per idle connection", g[3] / 1024, "-", ""
    }
    printf "| %-44s | %8.0f KiB | %8.0f KiB | %9s |\n", "idle PSS after start-up (all processes)", gh_pss, ng_pss, ratio(gh_pss, ng_pss)
    printf "| %-44s | %8.0f KiB | %12s | %9s |\n", "  the same, Gatehouse release profile", rel_pss, "-", ratio(rel_pss, ng_pss)
    printf "\ncrypto ceiling (wolfCrypt, same build, one core): keygen %.4f + ECDH %.4f + sign %.4f + 2 x verify %.4f ms\n", kg, ag, sg, vf
    printf "  = %d handshakes/s; Gatehouse reaches %.0f%% of it, nginx %.0f%%\n", ceiling, 100 * gh_rate / ceiling, 100 * ng_rate / ceiling
    printf "stripped gatehouse binary (this build): %d bytes\n", size
    printf "release profile (-Os, section GC, LTO; MinSizeRel GH_RELEASE_SMALL): %d bytes stripped, idle PSS %d KiB = %d anonymous + %d file-backed\n", size_rel, rel_pss, rel_anon, rel_file
}'
