#!/bin/bash
# 13-shim-handoff-race: another local process racing to the one-shot handoff
# listener is refused (docs/DESIGN.md decision 2, docs/SECURITY.md case 22).
#   racer-first  tests/bin/racer (as user nobody when setpriv can run it)
#                watches sock_diag for the program's listener and connects
#                to it; libprobe_dlsym.so (PROBE_GATE) holds the program's
#                own connect() to the listener until the racer is queued,
#                so the helper's first accept() is the racer's: it must be
#                closed unanswered ("refused ... at the handoff listener" in
#                the helper's log file or, with SUBMITIFY_DEBUG=1, on
#                stderr) and the program's mail still delivered.
#   racer-second SUBMITIFY_HELPER points at a wrapper script that the shim
#                starts in the helper's place, with the listener as fd 3;
#                it starts `probe racer`, which connects to that listener
#                behind the program, and then the real helper.  The racer
#                must get nothing either.
# shellcheck disable=SC1091 # sourced from the tree
. "$(dirname "$0")/../lib/common.sh"

# shellcheck disable=SC1091 # sourced from the tree
. "$(dirname "$0")/../lib/probe.sh"

# The racer writes its files as nobody when it can reach the probe.
race=$tmp/race
mkdir "$race"
chmod 1777 "$race"
as_nobody=""
racer_user=root
if command -v setpriv >/dev/null 2>&1 &&
    setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$TESTBIN/probe"; then
    as_nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
    racer_user=nobody
fi
note "the racer runs as $racer_user"

cp "$TESTBIN/racer" "$tmp/racer"
chmod 755 "$tmp/racer"

# The helper's stand-in for racer-second: the racer (in the background: it
# waits for an answer), then, once the racer is connected, the real
# helper.  Its files: $RACE_DIR/racer.out, $RACE_DIR/gate.
cat >"$tmp/helper-wrapper.sh" <<EOF
#!/bin/bash
$as_nobody "$TESTBIN/probe" racer 3 "\$RACE_DIR/racer.out" "\$RACE_DIR/gate" \\
    </dev/null >/dev/null 2>&1 &
for ((i = 0; i < 100; i++)); do
    [ -e "\$RACE_DIR/gate" ] && break
    sleep 0.05
done
exec "$HELPER" "\$@"
EOF
chmod 755 "$tmp/helper-wrapper.sh"

# race_case NAME GATE: one program connection with the racer beside it.
race_case() {
    local name=$1 gate=$2 dir=$race/$1 conf=$tmp/$1.conf log=$tmp/$1.log
    local rc pid r line rpid="" extra=()
    mkdir "$dir"
    chmod 1777 "$dir"
    rig_account logfile "$log" | conf_file "$conf"
    if [ -n "$gate" ]; then
        # The racer watches for the program's (root's) listeners.
        $as_nobody "$tmp/racer" hijack 0 100 "$dir/racer.out" "$dir/gate" \
            </dev/null >"$dir/racer.err" 2>&1 &
        rpid=$!
        on_exit "kill $rpid 2>/dev/null"
        sleep 0.3
        extra=(PROBE_GATE="$dir/gate")
    else
        extra=(SUBMITIFY_HELPER="$tmp/helper-wrapper.sh")
    fi
    env LD_PRELOAD="$(preload "$TESTBIN/libprobe_dlsym.so:$SHIM")" \
        "${extra[@]}" RACE_DIR="$dir" SUBMITIFY_DEBUG=1 \
        SUBMITIFY_CONF="$conf" timeout --kill-after=5 120 \
        "$TESTBIN/probe" send 192.0.2.25 "$ID-$name" \
        >"$tmp/$name.out" 2>"$tmp/$name.err"
    rc=$?
    sed "s/^/  $name: /" "$tmp/$name.out"
    pid=$(sed -n 's/^probe [a-z-]*: pid \([0-9][0-9]*\)$/\1/p' "$tmp/$name.out" | head -n 1)
    [ -n "$pid" ] && wait_helpers "$pid" 20
    [ "$rc" = 0 ] || failed "$name: the program's session failed (probe exit $rc)"
    if [ -n "$rpid" ]; then
        kill -TERM "$rpid" 2>/dev/null
        wait "$rpid" 2>/dev/null
    fi

    # The racer's record: written when it saw EOF or an error, or after 10 s.
    wait_for_file "$dir/racer.out" 15 || failed "$name: the racer left no record"
    r=$(cat "$dir/racer.out" 2>/dev/null)
    note "$name: racer: $r"
    case $r in
        *" bytes=0 "* | *" bytes=0" | *" greeted=0 "*) ;;
        *) failed "$name: the racer received bytes from the handoff listener: $r" ;;
    esac
    case $r in
        *"data="*220*) failed "$name: the racer was greeted: $r" ;;
    esac

    if ! "$RIG" wait-mail "$SUBMITIFY_RIG" bob "$ID-$name@probe.test" 20 >/dev/null; then
        failed "$name: the program's message did not arrive"
    fi
    if [ -n "$gate" ]; then
        # The race was set up: the racer connected first, and the helper
        # accepted it and closed it unanswered (EOF).
        case $r in
            *" refused="[1-9]*) ;;
            *) failed "$name: the racer was not the helper's first accept: $r" ;;
        esac
        line=$(grep -h -m 1 'refused .* at the handoff listener' "$log" \
            "$tmp/$name.err" 2>/dev/null | head -n 1)
        if [ -n "$line" ]; then
            note "$name: helper: $line"
        else
            failed "$name: no \"refused ... at the handoff listener\" line in the" \
                "helper's log file or on stderr (SUBMITIFY_DEBUG=1)"
            [ -s "$log" ] && head -n 3 "$log" | sed "s/^/  $name (log file): /"
        fi
    fi
}

race_case racer-first gate
race_case racer-second ""

[ "$bad" = 0 ] || fail "$bad failure(s):$failures"
echo "PASS: $TEST_NAME"
