# shellcheck shell=bash
# Shared by the fault-injection scenarios (tests/integration/35-39, 43-45).
# Source it after tests/lib/common.sh.
#
#   fx_init              check the build, make certificates ($FX_CERTS)
#   fx_spec FILE         start a case list (one JSON object per line)
#   fx_add FILE JSON     append one case
#   fx_group NAME FILE [SERVER-ARGS...]
#                        start running the cases of FILE against their own
#                        scripted server (tests/faults/fx.py), in the
#                        background
#   fx_finish            wait for every group, print one line per case, and
#                        fail the scenario if a real case failed or a weak
#                        twin passed (FX_KEEP=DIR keeps a failed group's files)
#
# Every case gets the submit.conf of tests/faults/fx.py: the scripted
# server, STARTTLS, user alice, "timeout 3" unless the case says otherwise.
FX_ROOT=$ROOT/tests/faults
FX_FAILED=""

fx_init() {
    need_cmd python3 openssl
    [ -x /usr/bin/time ] || skip "needs /usr/bin/time (GNU time) for the helper's peak memory and exit"
    if [ ! -x "$HELPER" ] || [ ! -e "$SHIM" ] || [ ! -x "$TESTBIN/smtpclient" ]; then
        fail "not built: make && make tests/bin/smtpclient"
    fi
    [ -d "$ROOT/helper/weak" ] || fail "the weak helpers are not built: make weak"
    FX_TMP=$(mktmp)
    FX_CERTS=$FX_TMP/certs
    "$ROOT/tests/rig/certs.sh" "$FX_CERTS" > /dev/null || fail "certs.sh failed"
    # A snapshot of the build: others may rebuild the tree while this runs.
    FX_BIN=$FX_TMP/bin
    mkdir -p "$FX_BIN"
    local i ok=0 w san
    for ((i = 0; i < 10; i++)); do
        if ! cp "$SHIM" "$FX_BIN/libsubmitify.so" || ! cp "$HELPER" "$FX_BIN/" ||
            ! cp "$TESTBIN/smtpclient" "$FX_BIN/"; then
            sleep 1
            continue
        fi
        for w in "$ROOT"/helper/weak/submitify-helper-*; do
            cp "$w" "$FX_BIN/" || continue 2
        done
        # A half-written library or binary shows here (a sanitized
        # library needs its runtime first).
        san=$(ldd "$FX_BIN/libsubmitify.so" 2>/dev/null | awk '$1 ~ /^libasan/ { print $3 }')
        if LD_PRELOAD=${san:+$san:}$FX_BIN/libsubmitify.so /bin/true 2>&1 | grep -q . ||
            ! "$FX_BIN/submitify-helper" 2>&1 | grep -q usage; then
            sleep 1
            continue
        fi
        ok=1
        break
    done
    [ $ok = 1 ] || fail "could not take a consistent copy of the build"
    # Under `make asan` the sanitizer runtime must come first in LD_PRELOAD.
    san=$(ldd "$FX_BIN/libsubmitify.so" 2>/dev/null | awk '$1 ~ /^libasan/ { print $3 }')
    FX_PRELOAD=${san:+$san:}$FX_BIN/libsubmitify.so
    FX_T0=$(date +%s)
}

fx_spec() { : > "$1"; }
fx_add() { printf '%s\n' "$2" >> "$1"; }

# Groups run in the background, each against its own server, so that
# their waits overlap; fx_finish collects them.
FX_GROUPS=()
fx_group() {
    local name=$1 spec=$2 dir args=() a pid
    shift 2
    for a in "$@"; do args+=("--server-arg=$a"); done
    dir=$FX_TMP/$name
    mkdir -p "$dir"
    python3 "$FX_ROOT/fx.py" --spec "$spec" --dir "$dir" --root "$ROOT" \
        --certs "$FX_CERTS" --preload "$FX_PRELOAD" --bin "$FX_BIN" --group "$name" \
        "${args[@]}" > "$dir/report" 2>&1 &
    pid=$!
    on_exit "kill $pid 2>/dev/null"
    FX_GROUPS+=("$name:$pid:$(grep -vc '^#' "$spec")")
}

fx_finish() {
    local g name pid n rc
    for g in "${FX_GROUPS[@]}"; do
        name=${g%%:*}
        pid=${g#*:}
        n=${pid#*:}
        pid=${pid%%:*}
        wait "$pid"
        rc=$?
        echo "== $name ($n cases)"
        sed 's/^/  /' "$FX_TMP/$name/report"
        if [ $rc != 0 ]; then
            FX_FAILED="$FX_FAILED $name"
            if [ -n "${FX_KEEP:-}" ]; then
                mkdir -p "$FX_KEEP" && cp -r "$FX_TMP/$name" "$FX_KEEP/$TEST_NAME-$name"
            fi
        fi
    done
    note "run time $(($(date +%s) - FX_T0)) s"
    if [ -n "$FX_FAILED" ]; then
        # run.sh shows the end of the log: the failing cases, once more.
        echo "failing cases:"
        for g in $FX_FAILED; do
            grep -h '^FAIL' "$FX_TMP/$g/report" | cut -c1-160 | sed "s/^/  $g: /"
        done
        fail "failed groups:$FX_FAILED"
    fi
    echo "PASS: $TEST_NAME"
}
