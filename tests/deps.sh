#!/bin/sh
# Installs what the build and the tests need (Debian 12), or, when not
# root, says which packages are missing.  "demo" asks for the demo's only.
set -u
build="build-essential pkg-config libssl-dev check"
demo="$build python3 openssl"
tests="$demo postfix dovecot-core swaks curl nftables iproute2 procps psmisc
       mandoc perl libnet-smtp-ssl-perl nodejs default-jdk-headless s-nail
       msmtp valgrind gdb clang libclang-rt-14-dev libcap2-bin binutils
       stunnel4 proxychains4 bsdextrautils time util-linux mount ca-certificates
       dnsmasq-base debhelper dpkg-dev lintian gcc-multilib qemu-user
       golang-go"
# Packages of another architecture (29: Debian's own i386 loader, whose $LIB
# is lib/i386-linux-gnu; gcc-multilib's is lib32).  Not in --list: apt-get
# knows them only once the architecture is added, which is done here.
foreign="libc6:i386"
case "${1:-tests}" in
demo) want=$demo foreign="" ;;
--list) echo $tests; exit 0 ;;
*) want="$tests $foreign" ;;
esac

missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "deps.sh: please install:$missing" >&2
    echo "deps.sh: (as root: apt-get install$missing)" >&2
    exit 1
fi
echo "deps.sh: installing:$missing"
# Postfix without a system instance: the tests start their own.
echo "postfix postfix/main_mailer_type select No configuration" |
    debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
for p in $foreign; do
    case " $missing " in
    *" $p "*)
        a=${p#*:}
        dpkg --print-foreign-architectures | grep -qx "$a" ||
            dpkg --add-architecture "$a" ||
            { echo "deps.sh: dpkg --add-architecture $a failed" >&2; exit 1; }
        ;;
    esac
done
apt-get update -q >/dev/null &&
    apt-get install -y -q --no-install-recommends $missing >/dev/null ||
    { echo "deps.sh: apt-get install failed" >&2; exit 1; }
