#!/bin/bash
# Every "Ways to run it" example in README.md, taken from the README itself
# and run against the real Postfix: one program, a cron job, a systemd
# service's environment, a login session, and the whole machine through
# /etc/ld.so.preload (inside a mount namespace with /etc overlaid, so the
# host's /etc is never touched).
. "$(dirname "$0")/../lib/common.sh"
rig_env
need_root
need_cmd swaks unshare
tmp=$(mktmp)
id=$$.$RANDOM
inst=$tmp/inst

make -C "$ROOT" -s install DESTDIR="$inst" PREFIX=/usr/local > "$tmp/install.log" 2>&1 ||
    fail "make install: $(tail -5 "$tmp/install.log")"

# The code block after <!-- example: NAME -->, with paths and addresses
# pointed at the test installation and server.
example() {
    awk -v name="$1" '
        $0 == "<!-- example: " name " -->" { want = 1; next }
        want && /^```/ { if (inside) exit; inside = 1; next }
        inside { print }' "$ROOT/README.md" |
        sed -e "s|/usr/local|$inst/usr/local|g" -e "s|/home/alice|$tmp/home|g" \
            -e "s|/etc/submitify/legacy.conf|$tmp/legacy.conf|g" \
            -e "s|example\.org|example.test|g"
}
for n in program cron systemd session machine; do
    [ -n "$(example $n)" ] || fail "README has no example \"$n\""
done
count() { "$RIG" count-mail "$SUBMITIFY_RIG" bob "$1"; }
arrives() { # NEEDLE BEFORE
    local i
    for i in $(seq 1 100); do
        [ "$(count "$1")" -gt "$2" ] && return 0
        sleep 0.2
    done
    return 1
}
mkdir -p "$tmp/home/.config/submitify"
rig_account | conf_file "$tmp/home/.config/submitify/submit.conf"
path="$inst/usr/local/bin:/usr/bin:/bin"

# One program.
before=$(count "X-Mailer: swaks")
( cd "$tmp" && env -i "${SAN_ENV[@]}" HOME="$tmp/home" PATH="$path" sh -c "$(example program)" ) \
    > "$tmp/program.out" 2>&1 || fail "program: $(tail -5 "$tmp/program.out")"
arrives "X-Mailer: swaks" "$before" || fail "program: not delivered"
note "one program: delivered"

# cron: its variable lines become the environment, the rest is the command.
example cron > "$tmp/crontab"
envs=$(grep -E '^[A-Z_]+=' "$tmp/crontab")
cmd=$(grep -vE '^[A-Z_]+=|^#|^$' "$tmp/crontab" | sed -E 's/^([^ ]+ +){5}//')
before=$(count "nightly report")
# shellcheck disable=SC2086
env -i "${SAN_ENV[@]}" HOME="$tmp/home" PATH=/usr/bin:/bin SHELL=/bin/sh $envs /bin/sh -c "$cmd" \
    > "$tmp/cron.out" 2>&1 || fail "cron: $(tail -5 "$tmp/cron.out")"
arrives "nightly report" "$before" || fail "cron: not delivered"
note "cron: delivered"

# systemd: the unit's Environment= lines around a plain client.
rig_account | conf_file "$tmp/legacy.conf"
mapfile -t unitenv < <(example systemd | sed -n 's/^Environment=//p')
[ "${#unitenv[@]}" = 2 ] || fail "systemd: expected two Environment= lines"
# make asan: the sanitizer runtime before the shim, as everywhere.
[ -z "$SHIM_SAN" ] || unitenv=("${unitenv[@]/#LD_PRELOAD=/LD_PRELOAD=$SHIM_SAN:}")
env -i "${SAN_ENV[@]}" PATH=/usr/bin:/bin "${unitenv[@]}" "$TESTBIN/smtpclient" -q \
    -i "unit-$id@test" 192.0.2.25 || fail "systemd: not served"
arrives "unit-$id@test" 0 || fail "systemd: not delivered"
note "systemd environment: delivered"

# A login session reading ~/.profile.
example session > "$tmp/home/.profile"
# make asan: the sanitizer runtime before the shim, as everywhere.
[ -z "$SHIM_SAN" ] ||
    echo "export LD_PRELOAD=\"$SHIM_SAN:\$LD_PRELOAD\"" >> "$tmp/home/.profile"
env -i "${SAN_ENV[@]}" HOME="$tmp/home" PATH=/usr/bin:/bin bash --login -c \
    "$TESTBIN/smtpclient -q -i session-$id@test 192.0.2.25" ||
    fail "session: not served"
arrives "session-$id@test" 0 || fail "session: not delivered"
note "login session: delivered"

# The whole machine, in a mount namespace of its own with /etc overlaid.
mkdir -p "$tmp/upper" "$tmp/work" "$tmp/home2/.config/submitify"
printf '%s\n' "$RIG_ALICE_PASS" > "$tmp/home2/.config/submitify/password"
chmod 600 "$tmp/home2/.config/submitify/password"
example machine > "$tmp/machine.sh"
cat > "$tmp/inside.sh" <<SH
set -e
mount --make-rprivate /
mount -t overlay overlay -o lowerdir=/etc,upperdir=$tmp/upper,workdir=$tmp/work /etc
${SHIM_SAN:+echo $SHIM_SAN > /etc/ld.so.preload}
sh -e $tmp/machine.sh
# The test server, not smtp.example.test:587 with the system's CAs.
sed -i -e 's/^host .*/host localhost/' -e 's/^user .*/user alice/' /etc/submitify/submit.conf
printf 'port %s\ntls_trust_file %s\n' "$RIG_SUB_PORT" "$RIG_CA" >> /etc/submitify/submit.conf
[ "\$(stat -c %a /etc/submitify/submit.conf)" = 644 ]
! grep -q '^password' /etc/submitify/submit.conf
env -i ${SAN_ENV[*]} HOME=$tmp/home2 PATH=/usr/bin:/bin $TESTBIN/smtpclient -q -i machine-$id@test 192.0.2.25
SH
timeout 60 unshare -m sh "$tmp/inside.sh" > "$tmp/machine.out" 2>&1 ||
    fail "machine: $(tail -5 "$tmp/machine.out")"
arrives "machine-$id@test" 0 || fail "machine: not delivered"
note "whole machine (ld.so.preload, secret-free system config): delivered"
