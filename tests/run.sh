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

run host build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGH_TESTS=ON -DGH_REQUIRE_CMOCKA=ON
run asan-ubsan build-asan -DCMAKE_BUILD_TYPE=Debug -DGH_SANITIZE=ON -DGH_TESTS=ON -DGH_REQUIRE_CMOCKA=ON

# ---- ARM: cross builds with their tests under qemu-user, and the
# firmware image booted under qemu-system (toolchain/cross.sh, firmware/README.md)
for t in aarch64 armhf firmware; do
    sh toolchain/cross.sh "$t" || failed="$failed $t"
done

# ---- fuzzing: clang, libFuzzer + ASan/UBSan. Each target replays
# its kept corpus (tests/fuzz/corpus/TARGET), then fuzzes FUZZ_SECONDS
# (default 20) on a scratch copy, so CI finds regressions and new inputs
# never land in the repository. tests/fuzz/README.md: longer runs.
fuzz_run() {
    dir=build-fuzz
    echo "=== fuzz: configure and build ($dir)"
    mkdir -p "$dir"
    if ! CC=clang cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGH_FUZZ=ON \
            -DGH_SANITIZE=ON -DGH_TESTS=ON >"$dir.configure.log" 2>&1; then
        cat "$dir.configure.log"; failed="$failed fuzz(configure)"; return
    fi
    if ! cmake --build "$dir" -j2 --target fuzz_certmap_load fuzz_certmap_decide fuzz_provision \
            fuzz_http_request >"$dir/build.log" 2>&1; then
        tail -50 "$dir/build.log"; failed="$failed fuzz(build)"; return
    fi
    for t in certmap_load certmap_decide provision http_request; do
        bin=$(find "$dir" -name "fuzz_$t" -type f -perm -u+x | head -1)
        scratch=$(mktemp -d)
        cp -r "tests/fuzz/corpus/$t/." "$scratch/"
        echo "=== fuzz: $t (replay, then ${FUZZ_SECONDS:-20} s)"
        if ! "$bin" -runs=0 "tests/fuzz/corpus/$t" >"$dir/replay-$t.log" 2>&1 ||
           ! "$bin" -max_total_time="${FUZZ_SECONDS:-20}" -timeout=30 -print_final_stats=1 \
                -artifact_prefix="$dir/" "$scratch" >"$dir/fuzz-$t.log" 2>&1; then
            tail -n 40 "$dir/replay-$t.log" "$dir/fuzz-$t.log"; failed="$failed fuzz($t)"
        else
            grep -E '^stat::number_of_executed_units' "$dir/fuzz-$t.log" | sed "s/^/    $t: /"
        fi
        rm -rf "$scratch"
    done
}
fuzz_run

# ---- valgrind memcheck, against the host build: every unit test,
# fuzz corpus replay and `gatehouse check` case of ctest, then the integration
# tests with the server under memcheck on the C library's heap
# (GATEHOUSE_SYSTEM_HEAP=1: memcheck cannot see inside the fixed pools). Any
# memcheck error or definite leak fails. Not here, and why:
#   overload      deadlines of 250 ms under a flood: meaningless at
#                 memcheck's 20-50x slowdown
#   exhaustion, zero_alloc
#                 they test the fixed pools, which memcheck's run leaves out
#   browser_ui    the same server code as the integration tests
#   alerts        400 handshakes that count alerts and closes: minutes under
#                 memcheck, for what the kernel does with a close
vg_run() {
    vg=$(mktemp -d)
    vg_opts="--quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite --log-file=$vg/%p.log"
    echo "=== valgrind: unit tests, corpus replays and check cases under memcheck"
    printf '#!/bin/sh\nexec valgrind %s "%s" "$@"\n' "$vg_opts" "$PWD/build/server/gatehouse" >"$vg/gatehouse"
    chmod +x "$vg/gatehouse"
    ctest --test-dir build --show-only=json-v1 2>/dev/null | jq -r '.tests[]
        | select(.name | test("^(integration_|browser_|pki$)") | not)
        | [.name, ((.properties // []) | map(select(.name == "WORKING_DIRECTORY").value) | .[0] // "."),
           (.command | map(@sh) | join(" "))] | @tsv' >"$vg/unit.tsv"
    n=0
    while IFS="$(printf '\t')" read -r name wd cmd; do
        cmd=$(printf '%s' "$cmd" | sed "s|'$PWD/build/server/gatehouse'|'$vg/gatehouse'|g")
        eval "set -- $cmd"
        case $1 in *.sh|*/bash|*/sh) ;; *) set -- valgrind $vg_opts "$@" ;; esac
        n=$((n + 1))
        if ! (cd "$wd" && "$@") >"$vg/out-$name.txt" 2>&1; then
            tail -20 "$vg/out-$name.txt"; failed="$failed valgrind($name)"
        fi
    done <"$vg/unit.tsv"
    echo "    $n ctest tests run"
    echo "=== valgrind: integration tests, the server under memcheck"
    for t in foundation mapping provisioning reload reject_page first_boot pkcs11 policy tls_scan \
             http_limits tls_conformance ui_encoding; do
        if ! GATEHOUSE=build/server/gatehouse PKI=build/pki SRC=$PWD GATEHOUSE_SYSTEM_HEAP=1 GATEHOUSE_SLOW=4 \
             GATEHOUSE_RUNNER="valgrind $vg_opts" \
             bash "tests/integration/test_$t.sh" >"$vg/out-$t.txt" 2>&1; then
            tail -20 "$vg/out-$t.txt"; failed="$failed valgrind($t)"
        fi
    done
    if grep -l . "$vg"/*.log >/dev/null 2>&1; then
        for f in "$vg"/*.log; do [ -s "$f" ] && head -60 "$f"; done
        failed="$failed valgrind(memcheck)"
    else
        echo "    memcheck: no errors, no definite leaks in $(ls "$vg"/*.log 2>/dev/null | wc -l) processes"
    fi
    rm -rf "$vg"
}
[ -x build/server/gatehouse ] && vg_run

if [ -n "$failed" ]; then
    echo "=== FAILED:$failed"
    exit 1
fi
echo "=== all configurations passed"
