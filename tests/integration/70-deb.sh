#!/bin/bash
# 70-deb: the Debian package.  `make deb` builds it from a copy of the tree
# (the unit suites run in the build) into this test's directory, and
# lintian finds neither an error nor a warning in it.  apt-get installs it
# into a throw-away root: the whole root overlaid, with the upper layers on
# a tmpfs, in a private mount namespace, and chrooted into, with the build
# tree hidden.  There, with the installed files only:
#   - submitify --check passes with /etc/submitify/submit.conf;
#   - submitify delivers a message through the rig, and so does a plain
#     client under the README's LD_PRELOAD=/usr/$LIB/... without it;
#   - with /etc/ld.so.preload naming the library (as /usr/$LIB/..., which
#     the loader expands, setuid programs included), removal is refused
#     and the package stays;
#   - a purge leaves nothing: no file of the package, no /etc/submitify,
#     no dpkg status, nothing named submitify in the upper layers.
# time limit: 270
# shellcheck disable=SC1091 # sourced from the tree
. "$(dirname "$0")/../lib/common.sh"
rig_env
need_root
need_cmd unshare chroot setpriv mountpoint apt-get
for c in dpkg-buildpackage dpkg-architecture dh lintian; do
    command -v "$c" > /dev/null 2>&1 ||
        skip "needs the Debian packaging tools ($c is missing; tests/deps.sh installs them)"
done
! dpkg-query -W -f='${Status}' submitify 2>/dev/null | grep -q "ok installed" ||
    skip "the submitify package is installed on this machine"
[ -x "$TESTBIN/smtpclient" ] || fail "tests/bin/smtpclient is not built"
tmp=$(mktmp)
id=$$.$RANDOM
version=$(sed -n 's/^VERSION *= *//p' "$ROOT/Makefile")
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
deb=submitify_${version}_$arch.deb

# The build, out of the tree; its own make, not the one running the suite.
mkdir "$tmp/out"
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL DEB_BUILD_OPTIONS=parallel=2 \
    timeout 200 make -C "$ROOT" deb DEBOUT="$tmp/out" > "$tmp/build.log" 2>&1 ||
    fail "make deb: $(tail -20 "$tmp/build.log")"
for f in "$deb" "submitify_$version.dsc" "submitify_$version.tar.xz"; do
    [ -f "$tmp/out/$f" ] || fail "make deb made no $f: $(ls "$tmp/out")"
done
if [ -e "$ROOT/.deb-build" ] || [ -e "$ROOT/debian/submitify" ]; then
    fail "make deb left build products in the tree"
fi
grep -q "^100%: Checks" "$tmp/build.log" || fail "the build ran no unit suite"
note "built $deb and its source package"

# Lint-clean: no error, no warning (overrides are in debian/).
lintian --fail-on error,warning "$tmp/out/submitify_${version}_$arch.changes" \
    > "$tmp/lintian.out" 2>&1 || fail "lintian: $(cat "$tmp/lintian.out")"
! grep -E '^[EW]: ' "$tmp/lintian.out" || fail "lintian: $(cat "$tmp/lintian.out")"
note "lintian: clean"

# The layout, and no conffile.
dpkg-deb -c "$tmp/out/$deb" | awk '{ print $NF }' > "$tmp/contents"
for p in ./usr/bin/submitify "./usr/lib/$ma/submitify/libsubmitify.so" \
    ./usr/libexec/submitify/submitify-helper \
    ./usr/libexec/submitify/submitify-supervise \
    ./usr/share/man/man1/submitify.1.gz ./usr/share/man/man5/submit.conf.5.gz \
    ./usr/share/doc/submitify/README.md.gz \
    ./usr/share/doc/submitify/examples/submit.conf.example ./etc/submitify/; do
    grep -qxF "$p" "$tmp/contents" || fail "the package lacks $p"
done
[ "$(grep -c '^\./etc/' "$tmp/contents")" = 2 ] ||
    fail "the package ships files in /etc: $(grep '^\./etc/' "$tmp/contents")"
# The README documents the path the package installs.
# shellcheck disable=SC2016 # $LIB is the dynamic linker's
grep -qF 'LD_PRELOAD=/usr/$LIB/submitify/libsubmitify.so' "$ROOT/README.md" ||
    fail "README.md does not document LD_PRELOAD=/usr/\$LIB/submitify/libsubmitify.so"

# The files the chroot sees, in a directory left out of the final search.
mkdir -p "$tmp/t/home"
cp "$tmp/out/$deb" "$TESTBIN/smtpclient" "$RIG_CA" "$tmp/t/" || fail "cp"
chmod 644 "$tmp/t/$deb"
rig_account | sed "s|^tls_trust_file .*|tls_trust_file /srv/submitify-test/$(basename "$RIG_CA")|" \
    > "$tmp/t/submit.conf"

# Inside the chroot, step by step; "step NAME" marks progress for failures.
cat > "$tmp/t/chrooted.sh" <<'SH'
set -u
t=/srv/submitify-test
ma=$1 deb=$2 id=$3
step() { echo "== $*"; }
die() { echo "FAILED: $*"; exit 1; }
export DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin
shim=/usr/lib/$ma/submitify/libsubmitify.so
# man-db's trigger would index every manual page of the machine.
rm -f /var/lib/man-db/auto-update

step install
(cd $t && apt-get install -y -q --no-install-recommends "./$deb") > $t/install.out 2>&1 ||
    die "apt-get install: $(tail -5 $t/install.out)"
dpkg -L submitify > $t/files || die "dpkg -L"
[ -d /etc/submitify ] || die "no /etc/submitify"
[ -z "$(ls -A /etc/submitify)" ] || die "/etc/submitify is not empty"

step check
install -m 600 $t/submit.conf /etc/submitify/submit.conf
env -i PATH=$PATH HOME=$t/home submitify --check > $t/check.out 2>&1 ||
    die "submitify --check: $(cat $t/check.out)"

step deliver
env -i PATH=$PATH HOME=$t/home submitify -- $t/smtpclient -q -i "deb-$id@test" 192.0.2.70 \
    > $t/deliver.out 2>&1 || die "submitify did not deliver: $(cat $t/deliver.out)"
env -i PATH=$PATH HOME=$t/home submitify --seccomp -- $t/smtpclient -q \
    -i "deb-sup-$id@test" 192.0.2.71 > $t/sup.out 2>&1 ||
    die "submitify --seccomp did not deliver: $(cat $t/sup.out)"
env -i PATH=$PATH HOME=$t/home LD_PRELOAD='/usr/$LIB/submitify/libsubmitify.so' \
    SUBMITIFY_CONF=/etc/submitify/submit.conf \
    $t/smtpclient -q -i "deb-lib-$id@test" 192.0.2.70 > $t/preload.out 2>&1 ||
    die "LD_PRELOAD=/usr/\$LIB/... did not deliver: $(cat $t/preload.out)"

step preload
[ ! -e /etc/ld.so.preload ] || cp /etc/ld.so.preload $t/preload.orig
echo '/usr/$LIB/submitify/libsubmitify.so' >> /etc/ld.so.preload
grep -q "$shim" /proc/self/maps > $t/maps.out 2>&1 || die "ld.so.preload: not loaded: $(cat $t/maps.out)"
setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/mount --version > $t/suid.out 2>&1 ||
    die "a setuid program under ld.so.preload: $(cat $t/suid.out)"
! grep -q "ld.so" $t/suid.out || die "a setuid program under ld.so.preload: $(cat $t/suid.out)"
apt-get remove -y -q submitify > $t/remove.out 2>&1 && die "removed while /etc/ld.so.preload names it"
grep -q "NOT REMOVED: /etc/ld.so.preload" $t/remove.out || die "no warning: $(tail -10 $t/remove.out)"
dpkg-query -W -f='${Status}' submitify | grep -qx "install ok installed" ||
    die "not installed after the refusal: $(dpkg-query -W -f='${Status}' submitify)"
[ -f "$shim" ] || die "the library is gone after the refusal"
if [ -e $t/preload.orig ]; then cp $t/preload.orig /etc/ld.so.preload; else rm /etc/ld.so.preload; fi

step purge
apt-get purge -y -q submitify > $t/purge.out 2>&1 || die "apt-get purge: $(tail -5 $t/purge.out)"
! dpkg-query -W -f='${Status}' submitify 2>/dev/null | grep -q installed ||
    die "dpkg status after purge: $(dpkg-query -W -f='${Status}' submitify)"
ls /var/lib/dpkg/info/submitify.* 2>/dev/null && die "dpkg's files of the package remain"
while read -r f; do
    [ "$f" = /. ] && continue
    if [ -d "$f" ] && [ ! -L "$f" ]; then
        case $f in
        */submitify) die "directory $f remains" ;;
        esac
    elif [ -e "$f" ] || [ -L "$f" ]; then
        die "$f remains"
    fi
done < $t/files
[ ! -e /etc/submitify ] || die "/etc/submitify remains"
step finished
SH

# The namespace: its mounts, the tmpfs with the upper layers and the chroot
# all end with it, whatever happens.
cat > "$tmp/inside.sh" <<SH
set -eu
mkdir -p $tmp/ovl $tmp/root
mount -t tmpfs -o mode=755 tmpfs $tmp/ovl
layer() { # DIR: the real DIR, overlaid, at the merged root's DIR
    n=\$(echo "\$1" | tr / _)
    mkdir -p $tmp/ovl/up\$n $tmp/ovl/work\$n
    mount -t overlay overlay \
        -o lowerdir=\$1,upperdir=$tmp/ovl/up\$n,workdir=$tmp/ovl/work\$n \
        $tmp/root\${1%/}
}
layer /
# Other file systems that dpkg and apt write to get layers of their own.
for d in /etc /usr /var /var/lib /var/cache /var/log; do
    ! mountpoint -q \$d || layer \$d
done
mount -t proc proc $tmp/root/proc
mount --rbind /dev $tmp/root/dev
mount -t tmpfs tmpfs $tmp/root/tmp
mount -t tmpfs tmpfs $tmp/root/run
[ ! -d $tmp/root$ROOT ] || mount -t tmpfs tmpfs $tmp/root$ROOT
mkdir -p $tmp/root/srv/submitify-test
cp -a $tmp/t/. $tmp/root/srv/submitify-test/
rc=0
chroot $tmp/root /bin/sh /srv/submitify-test/chrooted.sh $ma $deb $id || rc=\$?
cp $tmp/root/srv/submitify-test/*.out $tmp/ 2>/dev/null || :
[ \$rc = 0 ] || exit \$rc
# Nothing named submitify is left in what the root gained.
find $tmp/ovl -path "$tmp/ovl/up_/srv/submitify-test" -prune -o \
    -name '*submitify*' -print > $tmp/left
[ ! -s $tmp/left ] || { echo "FAILED: left in the root: \$(cat $tmp/left)"; exit 1; }
SH
timeout 150 unshare --mount --propagation private sh "$tmp/inside.sh" > "$tmp/inside.out" 2>&1 ||
    fail "in the throw-away root: $(tail -15 "$tmp/inside.out")"
grep -q "^== finished" "$tmp/inside.out" || fail "the chrooted steps did not finish: $(cat "$tmp/inside.out")"
"$RIG" wait-mail "$SUBMITIFY_RIG" bob "deb-$id@test" 20 > /dev/null ||
    fail "not delivered through the installed submitify"
"$RIG" wait-mail "$SUBMITIFY_RIG" bob "deb-lib-$id@test" 20 > /dev/null ||
    fail "not delivered through LD_PRELOAD=/usr/\$LIB/..."
"$RIG" wait-mail "$SUBMITIFY_RIG" bob "deb-sup-$id@test" 20 > /dev/null ||
    fail "not delivered through the installed seccomp supervisor"
note "installed with apt-get, --check passed, delivered three times (wrapper, --seccomp, /usr/\$LIB preload), removal refused under ld.so.preload, purged clean"
