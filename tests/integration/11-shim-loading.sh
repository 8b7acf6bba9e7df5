#!/bin/bash
# 11-shim-loading: the shim's lazy start and symbol lookup (docs/SECURITY.md
# case 15), with tests/bin/probe against the shared Postfix rig:
#   threads  16 threads whose first call is connect() to port 25, released
#            together, so the shim initialises under contention.
#   ctor     connect() from another preloaded library's constructor
#            (tests/bin/libprobe_ctor.so, after libsubmitify.so in
#            LD_PRELOAD, so it runs before the shim's own constructor):
#            set by hand, and through the wrapper with the library
#            already in the user's LD_PRELOAD.
#   dlsym    tests/bin/libprobe_dlsym.so, preloaded before the shim, makes
#            dlsym(RTLD_NEXT, "connect") return the shim's own connect(); the
#            shim must notice, make the system call itself, not recurse.
#   names    programs named submitify and submitify-helper are taken like
#            any other: the shim tells nothing apart by its name.
# Every message must arrive in bob's mailbox exactly once.
# shellcheck disable=SC1091 # sourced from the tree
. "$(dirname "$0")/../lib/common.sh"

# shellcheck disable=SC1091 # sourced from the tree
. "$(dirname "$0")/../lib/probe.sh"

# --- threads: directly preloaded, so nothing but the probe runs first.
probe_run threads env LD_PRELOAD="$(preload "$SHIM")" SUBMITIFY_CONF="$conf" \
    "$P" threads 16 192.0.2.25 "$ID-th"
for i in $(seq 0 15); do
    expect_mail "$ID-th.t$i@probe.test"
done

# --- ctor: libprobe_ctor.so after the shim, set by hand ...
probe_run ctor env LD_PRELOAD="$(preload "$SHIM:$TESTBIN/libprobe_ctor.so")" \
    SUBMITIFY_CONF="$conf" PROBE_CTOR_DEST=192.0.2.25 \
    "$P" ctor 192.0.2.25 "$ID-ctor"
# ... and with the library in the user's LD_PRELOAD, which the wrapper
# keeps after the shim (the constructor acts only in the probe).
probe_run ctor-wrapper env LD_PRELOAD="$(preload "$TESTBIN/libprobe_ctor.so")" \
    PROBE_CTOR_DEST=2001:db8::25 \
    "$SUBMITIFY" -c "$conf" -- "$P" ctor 2001:db8::25 "$ID-ctorw"
expect_mail "$ID-ctor@probe.test" "$ID-ctorw@probe.test"

# --- dlsym(RTLD_NEXT) returning the hook itself.  A recursing shim dies of
# SIGSEGV (exit 139 here); the probe also checks that the fake took effect.
probe_run dlsym env LD_PRELOAD="$(preload "$TESTBIN/libprobe_dlsym.so:$SHIM")" \
    SUBMITIFY_CONF="$conf" "$P" dlsym 192.0.2.25 "$ID-dl"
expect_mail "$ID-dl@probe.test"

# --- names: a copy of the probe under submitify's own program names.
for name in submitify submitify-helper; do
    cp "$P" "$tmp/$name"
    probe_run "name-$name" env LD_PRELOAD="$(preload "$SHIM")" \
        SUBMITIFY_CONF="$conf" "$tmp/$name" send 192.0.2.25 "$ID-$name"
    expect_mail "$ID-$name@probe.test"
done

[ "$bad" = 0 ] || fail "$bad failure(s):$failures"
echo "PASS: $TEST_NAME"
