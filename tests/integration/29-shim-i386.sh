#!/bin/bash
# 29-shim-i386: the 32-bit shim, run under qemu-i386 (this kernel has no
# IA32 emulation, so no 32-bit program runs natively here).
#   - shim32/libsubmitify.so is an i386 library exporting connect and
#     getpeername only;
#   - installed with the Debian layout (make install DESTDIR=...), one
#     value, LD_PRELOAD=ROOT/usr/$LIB/submitify/libsubmitify.so, loads the
#     64-bit shim into a 64-bit program and the 32-bit one into a 32-bit
#     program under both i386 loaders ($LIB is lib32 for gcc-multilib's
#     libc6-i386, lib/i386-linux-gnu for libc6:i386), with nothing from the
#     loader on stderr; a plain 64-bit path shows that a loader error would
#     be seen; the 64-bit program delivers through the rig with it;
#   - a 32-bit build of tests/bin/smtpclient: a connect() to another port
#     is untouched (delivered straight to the rig's MX, without AUTH); a
#     connect() to an intercepted port is taken by the 32-bit shim.  Where
#     the emulator lets a 32-bit program read all 64 bits of SO_COOKIE, the
#     session is delivered over TLS + AUTH as alice and getpeername() gives
#     the original destination (a 32-bit build of tests/bin/probe).  Where
#     it does not (qemu-user passes every socket option through an int, so
#     the kernel refuses SO_COOKIE), the shim refuses the connect() and
#     nothing reaches any server: no handoff on a partial identity (shown
#     in a 64-bit program too, whose getsockopt() is made to answer with 4
#     bytes);
#   - the wrapper: its LD_PRELOAD is the $LIB form when the 32-bit shim is
#     built; it lets a 32-bit dynamic program through, refuses a 32-bit
#     static one (69, "statically linked"), and without a 32-bit shim
#     refuses a 32-bit dynamic one, saying so.
# How qemu-i386 gets its guest's environment: qemu passes its own on, so an
# LD_PRELOAD in qemu's environment is loaded by the 64-bit qemu itself as
# well.  A 32-bit path there is a loader error in qemu; the $LIB value is
# harmless (qemu loads the 64-bit shim, and makes its guest's system calls
# itself, not through connect()).  The direct runs below give the guest
# its environment with -E VAR=VALUE instead, and qemu none.
# shellcheck disable=SC1091 # sourced from the tree
. "$(dirname "$0")/../lib/common.sh"
rig_env

# Missing prerequisites are a skip on a developer's machine, a failure in
# CI (run.sh counts a skip as one there).
prereq() { skip "$* (sh tests/deps.sh installs gcc-multilib, qemu-user and libc6:i386)"; }
command -v qemu-i386 >/dev/null 2>&1 || prereq "needs qemu-i386"
LD32=/lib32/ld-linux.so.2
LDI386=/lib/i386-linux-gnu/ld-linux.so.2
[ -e "$LD32" ] || prereq "needs gcc-multilib's i386 loader $LD32"
[ -e "$LDI386" ] || prereq "needs libc6:i386's loader $LDI386"
SHIM32=$ROOT/shim32/libsubmitify.so
[ -e "$SHIM32" ] || prereq "the 32-bit shim is not built ($SHIM32; make with gcc-multilib)"

tmp=$(mktmp)
id=$$.$RANDOM
rig_account | conf_file "$tmp/submit.conf"
cc32() { gcc -m32 -O2 -o "$@" 2> "$tmp/cc.err" || fail "gcc -m32 $*: $(cat "$tmp/cc.err")"; }

# --- the library itself.
readelf -h "$SHIM32" > "$tmp/elf" || fail "readelf $SHIM32"
if ! grep -q 'Class:.*ELF32' "$tmp/elf" || ! grep -q 'Machine:.*80386' "$tmp/elf"; then
    fail "$SHIM32 is not an i386 library: $(cat "$tmp/elf")"
fi
syms=$(nm -D --defined-only "$SHIM32" | awk '$2 == "T" { print $3 }' | sort | tr '\n' ' ')
[ "$syms" = "connect getpeername " ] || fail "the 32-bit shim exports: $syms"

# --- the programs: which library gives the program its connect()?
cat > "$tmp/which.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int
main(void)
{
	Dl_info info;
	void *p = dlsym(RTLD_DEFAULT, "connect");

	if (p == NULL || dladdr(p, &info) == 0 || info.dli_fname == NULL)
		return (1);
	printf("%s\n", info.dli_fname);
	return (0);
}
EOF
# Can this 32-bit process read a socket's whole SO_COOKIE (exit 0)?
cat > "$tmp/cookie.c" <<'EOF'
#include <sys/socket.h>
#include <stdint.h>
#include <stdio.h>

int
main(void)
{
	uint64_t c = 0;
	socklen_t len = sizeof(c);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_COOKIE, &c, &len) != 0) {
		perror("SO_COOKIE");
		return (1);
	}
	return (len == sizeof(c) ? 0 : 1);
}
EOF
cc32 "$tmp/which32" "$tmp/which.c" -ldl
gcc -O2 -o "$tmp/which64" "$tmp/which.c" -ldl || fail "gcc which.c"
cc32 "$tmp/cookie32" "$tmp/cookie.c"
cc32 "$tmp/sc32" "$ROOT/tests/bin/smtpclient.c"
echo 'int main(void) { return 0; }' > "$tmp/nop.c"
cc32 "$tmp/static32" -static "$tmp/nop.c"

# --- the installed layout, and one LD_PRELOAD value for both word sizes.
# The Debian layout, from what the tree has built (-o all: nothing is
# rebuilt for these directories, which would leave the tree's programs
# compiled for them); the helper is named, since the programs' compiled-in
# relative paths are the tree's.
inst=$tmp/inst
make -C "$ROOT" -s -o all install DESTDIR="$inst" PREFIX=/usr \
    LIBDIR=/usr/lib/x86_64-linux-gnu LIBEXECDIR=/usr/libexec \
    > "$tmp/install.log" 2>&1 || fail "make install: $(tail -5 "$tmp/install.log")"
L64=$inst/usr/lib/x86_64-linux-gnu/submitify/libsubmitify.so
L386=$inst/usr/lib/i386-linux-gnu/submitify/libsubmitify.so
L32=$inst/usr/lib32/submitify/libsubmitify.so
for f in "$L64" "$L386" "$L32"; do
    [ -f "$f" ] || fail "make install did not install $f"
done
cmp -s "$L386" "$SHIM32" || fail "$L386 is not the 32-bit shim"
[ -L "$inst/usr/lib32/submitify" ] || fail "$inst/usr/lib32/submitify is not a link"
# shellcheck disable=SC2016 # $LIB is the dynamic linker's
V="$inst/usr/\$LIB/submitify/libsubmitify.so"
IHELPER=$inst/usr/libexec/submitify/submitify-helper

# which_run NAME EXPECTED COMMAND...: COMMAND prints EXPECTED and nothing
# on stderr.
which_run() {
    local name=$1 want=$2
    shift 2
    timeout 60 "$@" > "$tmp/$name.out" 2> "$tmp/$name.err" ||
        fail "$name: exit $?: $(cat "$tmp/$name.err")"
    [ "$(cat "$tmp/$name.out")" = "$want" ] ||
        fail "$name: connect() comes from $(cat "$tmp/$name.out"), not $want"
    [ ! -s "$tmp/$name.err" ] || fail "$name: stderr: $(cat "$tmp/$name.err")"
}
which_run which64 "$L64" env LD_PRELOAD="$V" "$tmp/which64"
which_run which-lib32 "$L32" qemu-i386 -E LD_PRELOAD="$V" "$LD32" "$tmp/which32"
which_run which-i386 "$L386" qemu-i386 -E LD_PRELOAD="$V" "$LDI386" "$tmp/which32"
# qemu itself under the same value: the 64-bit shim in qemu, no error.
LD_PRELOAD=$V timeout 60 qemu-i386 "$LD32" "$tmp/which32" > /dev/null 2> "$tmp/qhost.err" ||
    fail "qemu-i386 with LD_PRELOAD=\$LIB...: $(cat "$tmp/qhost.err")"
[ ! -s "$tmp/qhost.err" ] || fail "qemu-i386 with LD_PRELOAD=\$LIB...: $(cat "$tmp/qhost.err")"
# The check above sees a loader error: a 64-bit path in a 32-bit program.
qemu-i386 -E LD_PRELOAD="$L64" "$LD32" "$tmp/which32" > /dev/null 2> "$tmp/wrong.err"
grep -q 'ELFCLASS64\|wrong ELF class' "$tmp/wrong.err" ||
    fail "a 64-bit shim in a 32-bit program gave no loader error: $(cat "$tmp/wrong.err")"
note "LD_PRELOAD=ROOT/usr/\$LIB/...: $L64 (64-bit), $L32 (libc6-i386), $L386 (libc6:i386), no loader error"

# delivered TAG: the rig's Postfix got <TAG-id@test> once, over TLS with AUTH
# as alice.
delivered() {
    local f n
    f=$("$RIG" wait-mail "$SUBMITIFY_RIG" bob "<$1-$id@test>" 20) ||
        fail "$1: the message did not arrive"
    grep -q "with ESMTPSA" "$f" || fail "$1: not received with ESMTPSA: $(grep -A5 '^Received' "$f")"
    grep -q "Authenticated sender: alice" "$f" || fail "$1: not authenticated as alice"
    n=$("$RIG" count-mail "$SUBMITIFY_RIG" bob "<$1-$id@test>")
    [ "$n" = 1 ] || fail "$1: delivered $n times"
}
env LD_PRELOAD="$V" SUBMITIFY_CONF="$tmp/submit.conf" SUBMITIFY_HELPER="$IHELPER" \
    timeout 30 "$TESTBIN/smtpclient" -q -i "i64-$id@test" 192.0.2.10 \
    2> "$tmp/i64.err" || fail "64-bit client under \$LIB: $(cat "$tmp/i64.err")"
[ ! -s "$tmp/i64.err" ] || fail "64-bit client under \$LIB: stderr: $(cat "$tmp/i64.err")"
delivered i64
note "a 64-bit client under the \$LIB value: delivered, ESMTPSA, alice"

# --- the 32-bit client.  Another port: untouched, straight to the MX.
G=(qemu-i386 -E LD_PRELOAD="$V" -E SUBMITIFY_CONF="$tmp/submit.conf"
   -E SUBMITIFY_HELPER="$IHELPER")
timeout 60 "${G[@]}" "$tmp/sc32" -q -p "$RIG_SMTP_PORT" -i "pass-$id@test" \
    127.0.0.1 2> "$tmp/pass.err" || fail "32-bit client to the MX: $(cat "$tmp/pass.err")"
f=$("$RIG" wait-mail "$SUBMITIFY_RIG" bob "<pass-$id@test>" 20) ||
    fail "a connect() to port $RIG_SMTP_PORT was not left alone: nothing arrived"
! grep -q "with ESMTPSA" "$f" || fail "a connect() to port $RIG_SMTP_PORT went through submitify"
note "32-bit client to port $RIG_SMTP_PORT (not intercepted): delivered directly"

# An intercepted port: the MX's own, so that a connect() the shim failed to
# take would deliver there without AUTH.
if timeout 60 qemu-i386 "$tmp/cookie32" 2> "$tmp/cookie.err"; then
    timeout 60 "${G[@]}" -E SUBMITIFY_PORTS="$RIG_SMTP_PORT" "$tmp/sc32" -q \
        -p "$RIG_SMTP_PORT" -i "take-$id@test" 127.0.0.1 2> "$tmp/take.err" ||
        fail "32-bit client through the 32-bit shim: $(cat "$tmp/take.err")"
    delivered take
    # getpeername(): the destination asked for (a 32-bit probe).
    gcc -m32 -O2 -o "$tmp/probe32" "$ROOT/tests/bin/probe.c" -lpthread 2> "$tmp/cc.err" ||
        fail "gcc -m32 probe.c: $(cat "$tmp/cc.err")"
    timeout 120 "${G[@]}" "$tmp/probe32" options 192.0.2.25 "gp-$id" > "$tmp/probe.out" 2>&1 ||
        fail "32-bit probe options: $(grep -m5 FAIL "$tmp/probe.out")"
    grep -q 'getpeername() gives' "$tmp/probe.out" || fail "the probe did not check getpeername()"
    "$RIG" wait-mail "$SUBMITIFY_RIG" bob "gp-$id@probe.test" 20 > /dev/null ||
        fail "the 32-bit probe's message did not arrive"
    note "32-bit client through the 32-bit shim: delivered, ESMTPSA, alice; getpeername() the original destination"
else
    timeout 60 "${G[@]}" -E SUBMITIFY_PORTS="$RIG_SMTP_PORT" "$tmp/sc32" -q \
        -p "$RIG_SMTP_PORT" -i "take-$id@test" 127.0.0.1 2> "$tmp/take.err"
    rc=$?
    [ $rc = 2 ] || fail "without SO_COOKIE the connect() was not refused (exit $rc): $(cat "$tmp/take.err")"
    grep -q 'connect 127.0.0.1' "$tmp/take.err" || fail "no connect() error: $(cat "$tmp/take.err")"
    sleep 2
    n=$("$RIG" count-mail "$SUBMITIFY_RIG" bob "<take-$id@test>")
    [ "$n" = 0 ] || fail "a connect() the shim could not hand off reached the server"
    note "qemu-i386 cannot give SO_COOKIE ($(cat "$tmp/cookie.err")): the 32-bit shim took the connect() and refused it ($(cat "$tmp/take.err")), nothing sent"
fi

# The same refusal in a 64-bit program whose getsockopt() answers SO_COOKIE
# with 4 bytes, as an emulator that passes options through an int would:
# a cookie cut to 32 bits must not be handed to a helper.
cat > "$tmp/short.c" <<'EOF'
#define _GNU_SOURCE
#include <sys/socket.h>
#include <dlfcn.h>
#include <string.h>

int getsockopt(int, int, int, void *, socklen_t *);

int
getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	int (*real)(int, int, int, void *, socklen_t *);
	int r;

	*(void **)&real = dlsym(RTLD_NEXT, "getsockopt");
	r = real(fd, level, name, val, len);
	if (r == 0 && level == SOL_SOCKET && name == SO_COOKIE && *len == 8) {
		memset((char *)val + 4, 0, 4);
		*len = 4;
	}
	return (r);
}
EOF
gcc -O2 -shared -fPIC -o "$tmp/libshort.so" "$tmp/short.c" -ldl 2> "$tmp/cc.err" ||
    fail "gcc short.c: $(cat "$tmp/cc.err")"
env LD_PRELOAD="$tmp/libshort.so:$SHIM" SUBMITIFY_CONF="$tmp/submit.conf" \
    timeout 30 "$TESTBIN/smtpclient" -q -i "short-$id@test" 192.0.2.10 \
    > "$tmp/short.out" 2>&1
rc=$?
[ $rc = 2 ] || fail "a 4-byte SO_COOKIE was not refused at connect() (exit $rc): $(cat "$tmp/short.out")"
grep -q 'Connection refused' "$tmp/short.out" ||
    fail "a 4-byte SO_COOKIE: not ECONNREFUSED: $(cat "$tmp/short.out")"
note "a 4-byte SO_COOKIE (64-bit program): connect() refused"

# --- the wrapper, in the build tree.
"$SUBMITIFY" -c "$tmp/submit.conf" -- env > "$tmp/env.out" 2>&1 || fail "submitify -- env"
# shellcheck disable=SC2016 # $LIB is the dynamic linker's
grep -qxF "LD_PRELOAD=$ROOT/shim/\$LIB/submitify/libsubmitify.so" "$tmp/env.out" ||
    fail "the wrapper's LD_PRELOAD is not the \$LIB form: $(grep LD_PRELOAD "$tmp/env.out")"
# The same value reaches qemu (its own 64-bit shim) and its guest.
timeout 60 "$SUBMITIFY" -c "$tmp/submit.conf" -- qemu-i386 "$LD32" "$tmp/which32" \
    > "$tmp/w32.out" 2> "$tmp/w32.err" || fail "submitify -- qemu-i386 which32: $(cat "$tmp/w32.err")"
[ "$(cat "$tmp/w32.out")" = "$ROOT/shim/lib32/submitify/libsubmitify.so" ] ||
    fail "under the wrapper a 32-bit program got connect() from $(cat "$tmp/w32.out")"
[ ! -s "$tmp/w32.err" ] || fail "submitify -- qemu-i386: stderr: $(cat "$tmp/w32.err")"
# A 32-bit static program: refused, with the reason.
"$SUBMITIFY" -c "$tmp/submit.conf" -- "$tmp/static32" > "$tmp/st.out" 2>&1
rc=$?
[ $rc = 69 ] || fail "a 32-bit static program: exit $rc, not 69: $(cat "$tmp/st.out")"
assert_contains "$tmp/st.out" "statically linked"
# A 32-bit dynamic program: let through (the kernel may still refuse to
# run it here; the wrapper does not refuse it).
"$SUBMITIFY" -c "$tmp/submit.conf" -- "$tmp/which32" > "$tmp/dyn.out" 2>&1
assert_not_contains "$tmp/dyn.out" "cannot intercept"
# Without a 32-bit shim beside it, the wrapper refuses that program.
mkdir -p "$tmp/no32/wrapper" "$tmp/no32/shim" "$tmp/no32/helper"
cp "$SUBMITIFY" "$tmp/no32/wrapper/"
cp "$ROOT/shim/libsubmitify.so" "$tmp/no32/shim/"
# shellcheck disable=SC2153 # HELPER is common.sh's build-tree helper
cp "$HELPER" "$tmp/no32/helper/"
"$tmp/no32/wrapper/submitify" -c "$tmp/submit.conf" -- "$tmp/which32" > "$tmp/no32.out" 2>&1
rc=$?
[ $rc = 69 ] || fail "no 32-bit shim, a 32-bit program: exit $rc, not 69: $(cat "$tmp/no32.out")"
assert_contains "$tmp/no32.out" "32-bit program"
"$tmp/no32/wrapper/submitify" -c "$tmp/submit.conf" -- env > "$tmp/no32env.out" 2>&1
grep -qxF "LD_PRELOAD=$tmp/no32/shim/libsubmitify.so" "$tmp/no32env.out" ||
    fail "no 32-bit shim: LD_PRELOAD is not the 64-bit shim: $(grep LD_PRELOAD "$tmp/no32env.out")"
note "wrapper: \$LIB form for both word sizes; 32-bit static refused; 32-bit dynamic let through, refused without a 32-bit shim"
