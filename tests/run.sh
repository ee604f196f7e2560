#!/bin/sh
# run.sh: the whole test suite, from a fresh Debian 12 (root) or a clean
# clone. Installs what is missing, builds every configuration and runs ctest
# in each; exits non-zero if anything failed. CI runs exactly this (.ci/run).
set -u
cd "$(dirname "$0")/.."
sh toolchain/install-deps.sh test || exit 1

failed=""
run() {   # NAME BUILD_DIR CMAKE_ARGS...: configure, build, ctest
    name=$1 dir=$2; shift 2
    echo "=== $name: configure and build ($dir)"
    mkdir -p "$dir"
    if ! cmake -S . -B "$dir" -G Ninja "$@" >"$dir/configure.log" 2>&1; then
        cat "$dir/configure.log"; failed="$failed $name(configure)"; return
    fi
    if ! cmake --build "$dir" -j2 >"$dir/build.log" 2>&1; then
        tail -50 "$dir/build.log"; failed="$failed $name(build)"; return
    fi
    echo "=== $name: ctest"
    if ! ctest --test-dir "$dir" --output-on-failure -j2 --timeout 600; then
        failed="$failed $name"
    fi
}

run host build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGH_TESTS=ON
run asan-ubsan build-asan -DCMAKE_BUILD_TYPE=Debug -DGH_SANITIZE=ON -DGH_TESTS=ON

# ---- ARM (issue 7): cross builds with their tests under qemu-user, and the
# firmware image booted under qemu-system (toolchain/cross.sh, firmware/README.md)
for t in aarch64 armhf firmware; do
    sh toolchain/cross.sh "$t" || failed="$failed $t"
done

if [ -n "$failed" ]; then
    echo "=== FAILED:$failed"
    exit 1
fi
echo "=== all configurations passed"
