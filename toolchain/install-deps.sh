#!/bin/sh
# install-deps.sh GROUP...: install the Debian packages Gatehouse needs, on a
# fresh Debian 12 as root. Does nothing (and needs no network) when they are
# all there already. Groups:
#   build    compile and run the server (demo)
#   test     everything the test suite uses: unit, integration, sanitizers,
#            fuzzing, PKCS#11, browser, cross builds and QEMU
set -eu

build_pkgs="gcc libc6-dev make cmake ninja-build patch xz-utils ca-certificates curl openssl"
test_pkgs="$build_pkgs jq libcmocka-dev clang libclang-rt-14-dev python3 python3-cryptography
  softhsm2 opensc faketime
  chromium nodejs npm
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross gcc-arm-linux-gnueabihf libc6-dev-armhf-cross
  qemu-user qemu-system-arm e2fsprogs cpio
  nginx-light valgrind sslscan"

want=""
for g in "$@"; do
    case "$g" in
    build) want="$want $build_pkgs" ;;
    test) want="$want $test_pkgs" ;;
    *) echo "install-deps: unknown group $g (build, test)" >&2; exit 2 ;;
    esac
done

missing=""
for p in $want; do
    # Node.js may come from elsewhere (a vendor package that bundles npm and
    # conflicts with Debian's npm): the commands are what the tests need.
    case "$p" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
    esac
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
# The browser tests need Node.js 18 or later (node --test, and the engines of
# tests/browser/package-lock.json, which tests/check-node-engines.mjs holds to
# Debian 12's 18.20). A node from elsewhere is fine if it is new enough.
node_min=18
node_check() {
    command -v node >/dev/null 2>&1 || return 0   # Debian's nodejs gets installed below
    major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
    [ "$major" -ge "$node_min" ] 2>/dev/null && return 0
    echo "install-deps: Node.js $node_min or later is needed for the browser tests, found" \
        "$(node --version 2>/dev/null || echo 'an unreadable node') at $(command -v node);" \
        "remove it or put Debian 12's (apt-get install nodejs npm) first on the PATH" >&2
    return 1
}
case " $want " in *" nodejs "*) node_check || exit 1 ;; esac
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: these Debian packages are missing:$missing; run as root (or install them)" >&2
    exit 1
fi
echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# an index that is mid-sync fails once in a while: try again
for i in 1 2 3; do
    if apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null; then
        exit 0
    fi
    echo "install-deps: apt failed (try $i of 3), retrying" >&2
    sleep 5
done
exit 1
