#!/bin/bash
# make bench keeps working: bench/run.sh --smoke runs every row with tiny
# counts (the numbers mean nothing) and must produce all six rows; the warm
# helpers it started (row 6, in a directory of its own) are gone when it
# returns.
# time limit: 240
. "$(dirname "$0")/../lib/common.sh"
need_cmd stunnel4 proxychains4 python3
tmp=$(mktmp)
timeout 220 "$ROOT/bench/run.sh" --smoke > "$tmp/out" 2>&1 ||
    fail "bench/run.sh --smoke: $(tail -15 "$tmp/out")"
for row in 1 2 3 4 5 6; do
    grep -q "^| $row | " "$tmp/out" || fail "row $row missing: $(tail -15 "$tmp/out")"
done
ws=$(sed -n 's/^bench: workspace \(.*\)$/\1/p' "$tmp/out")
[ -n "$ws" ] || fail "bench/run.sh did not name its workspace"
# A warm helper whose socket was removed exits within 2 s on its own: look
# at once, so that only the driver's own --warm-stop passes.
left=$(pgrep -f -- "--warm-serve $ws/")
[ -z "$left" ] || fail "warm helpers of the bench still running: $left"
note "bench smoke: $(grep -c '^| [1-6] | ' "$tmp/out") rows"
