#!/usr/bin/env bash
# The raw flash backend from the command line (platform/flash.h): a board
# whose settings live in a raw partition (MTD, an eMMC partition) is filled at
# the factory with `gatehouse flash write --flash raw:PARTITION FILE...` and
# served with `gatehouse serve --flash raw:PARTITION`; uploads commit to the
# partition and survive a restart. A plain file stands in for the partition.
. "$(dirname "$0")/lib.sh"

src=$(make_flash)             # the demo flash folder: the files to write
part=$T/flash.img
slot=$(grep -Eo 'GH_FLASH_RAW_SLOT_SIZE +\(([0-9]+) \* 1024\)' "$SRC/server/budget.h" | grep -Eo '[0-9]+ \*' | grep -Eo '[0-9]+')
truncate -s $((2 * slot * 1024)) "$part"

# a blank partition: the server names what is missing
out=$(timeout $((20 * SLOW)) $RUNNER "$GATEHOUSE" serve --flash "raw:$part" --listen 127.0.0.1:1 2>&1 | grep -v 'GATEHOUSE_SYSTEM_HEAP=1: ')
expect_match "a blank partition: the server says what is missing" "$out" '^gatehouse: certmap\.ini: missing'

# the factory writes the files, in one commit
out=$($RUNNER "$GATEHOUSE" flash write --flash "raw:$part" "$src"/* 2>&1)
expect_match "flash write puts every file in the partition" "$out" \
    "^raw:$part: $(ls "$src" | wc -l) files written \\(generation 1\\)$"
out=$($RUNNER "$GATEHOUSE" flash write --flash "raw:$part" "$src/certmap.ini" "$T/nope.pem" 2>&1) && rc=0 || rc=$?
expect_match "a missing file is named, nothing is written" "$rc $out" "^1 gatehouse: flash write: $T/nope.pem: No such file or directory$"
cp "$src/ca.pem" "$T/bad name.pem"
out=$($RUNNER "$GATEHOUSE" flash write --flash "raw:$part" "$T/bad name.pem" 2>&1) && rc=0 || rc=$?
expect_match "a name the flash cannot hold is refused" "$rc $out" "^1 gatehouse: flash write: $T/bad name\\.pem: "
out=$($RUNNER "$GATEHOUSE" flash write --flash "raw:$T/short.img" "$src/ca.pem" 2>&1) && rc=0 || rc=$?
expect_match "a partition that is not there is named" "$rc $out" "^1 gatehouse: flash write: .*short\\.img"

gh_start "raw:$part" || exit 1
gh_curl admin /api/whoami >/dev/null
expect "served from the partition: admin gets in" "$(status)" 200
gh_curl viewer /api/whoami >/dev/null
expect "... and viewer" "$(status)" 200
gen=$(gh_curl admin /api/status | jq -r .gatehouse.generation)
expect "/api/status shows the partition's generation" "$gen" 1

{ table_head; printf '[map "raw"]\nmatch = subject.CN = Vera Viewer\nrole = operator\n'; } >"$T/new.ini"
body=$(gh_put_table admin "$T/new.ini")
expect "an upload commits to the partition" "$(status) $(printf '%s' "$body" | jq -r .generation)" "200 2"
gh_stop
gh_start "raw:$part" || exit 1
gh_curl viewer /api/whoami >"$T/who.json"
expect "after a restart the uploaded table is in force" "$(status) $(jq -r '.role + " " + .mapping' "$T/who.json")" \
    "200 operator raw"
gh_stop

# both slots damaged: refused with the reason, never served half
# (bytes inside each slot's archive, past its 512-byte header sector: the CRC
# no longer matches)
printf 'garbage' | dd of="$part" bs=1 seek=600 conv=notrunc 2>/dev/null
printf 'garbage' | dd of="$part" bs=1 seek=$((slot * 1024 + 600)) conv=notrunc 2>/dev/null
out=$(timeout $((20 * SLOW)) $RUNNER "$GATEHOUSE" serve --flash "raw:$part" --listen 127.0.0.1:1 2>&1 | grep -v 'GATEHOUSE_SYSTEM_HEAP=1: ')
expect_match "a partition with both slots damaged: refused, saying so" "$out" 'both slots are corrupt'

finish
