#!/bin/bash
# run.sh BUILD_DIR [--docs]: the device UI end to end in a real Chromium.
#
# Makes a PKI and a demo flash in a temporary folder, starts BUILD_DIR's
# gatehouse on a free loopback port with the fake board (GATEHOUSE_BOARD=fake,
# so the status page shows the same on every machine), runs ui.test.mjs with
# node's test runner, stops the server and exits non-zero on any failure.
#
# Screenshots and the server's log go to $GH_ARTIFACTS (default
# BUILD_DIR/artifacts/browser). --docs also writes the README's screenshots
# into docs/screenshots/.
#
# Needs: node >= 18, Debian's chromium (or CHROMIUM=/path), openssl, curl.
# node_modules is installed with `npm ci` when missing. Exit 77 (ctest's
# SKIP_RETURN_CODE) when there is no Chromium.
set -euo pipefail

usage() { echo "usage: $0 BUILD_DIR [--docs]" >&2; exit 2; }
die() { echo "browser tests: $*" >&2; exit 1; }

[ $# -ge 1 ] || usage
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "$1" && pwd) || die "no build folder $1"
docs=
[ "${2:-}" = "--docs" ] && docs=$root/docs/screenshots
bin=$build/server/gatehouse
[ -x "$bin" ] || die "$bin is not built (ninja -C $1 gatehouse)"

chromium=${CHROMIUM:-$(command -v chromium || true)}
if [ -z "$chromium" ]; then
    echo "browser tests: SKIPPED: no chromium (apt-get install -y chromium)" >&2
    exit 77
fi
command -v node >/dev/null || die "node is missing (apt-get install -y nodejs npm)"
if [ ! -d "$here/node_modules/playwright-core" ]; then
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in $here"
fi

artifacts=${GH_ARTIFACTS:-$build/artifacts/browser}
mkdir -p "$artifacts"
work=$(mktemp -d "${TMPDIR:-/tmp}/gh-browser-XXXXXX")
server_pid=
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    [ -f "$work/server.log" ] && cp "$work/server.log" "$artifacts/server.log"
    rm -rf "$work"
}
trap cleanup EXIT

"$root/certs/make-pki.sh" "$work/pki" >"$work/pki.log" 2>&1 || { cat "$work/pki.log" >&2; die "make-pki.sh failed"; }
"$root/certs/make-flash.sh" "$work/pki" "$work/flash" >/dev/null || die "make-flash.sh failed"

port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
url=https://127.0.0.1:$port
GATEHOUSE_BOARD=fake "$bin" serve --flash "$work/flash" --listen "127.0.0.1:$port" >"$work/server.log" 2>&1 &
server_pid=$!

up=
for _ in $(seq 100); do
    if curl -s -o /dev/null --cacert "$work/pki/root.pem" --cert "$work/pki/admin.pem" \
        --key "$work/pki/admin.key" "$url/api/whoami"; then
        up=1
        break
    fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
[ -n "$up" ] || { cat "$work/server.log" >&2; die "the server did not come up on $url"; }

rc=0
NODE_EXTRA_CA_CERTS=$work/pki/root.pem GH_URL=$url GH_PKI=$work/pki GH_FLASH=$work/flash \
    GH_SERVER_PID=$server_pid GH_ARTIFACTS=$artifacts GH_DOCS_SCREENSHOTS=$docs CHROMIUM=$chromium \
    node --test --test-concurrency=1 "$here/ui.test.mjs" || rc=$?
echo "browser tests: screenshots and server log in $artifacts"
exit $rc
