#!/bin/sh
# Builds the libFuzzer targets with clang and runs each for SECONDS (default
# 600) on its corpus.  A crash leaves its input in tests/fuzz/crashes/.
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-600}
command -v clang >/dev/null || { echo "fuzz: clang is not installed" >&2; exit 1; }
mkdir -p tests/fuzz/crashes
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -std=gnu11"
ssl=$(pkg-config --cflags --libs openssl)
core="helper/conf.c helper/secrets.c helper/util.c helper/smtp.c helper/sasl.c helper/auth.c helper/crypto.c common/decide.c"
inc="-Icommon -Ihelper"
for t in reply command conf; do
    clang $flags $inc -o "tests/fuzz/fuzz_$t" "tests/fuzz/fuzz_$t.c" $core $ssl
done
for t in reply command conf; do
    work=$(mktemp -d)
    cp tests/fuzz/corpus/$t/* "$work/"
    echo "fuzz: $t for ${secs}s"
    "tests/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
        -artifact_prefix=tests/fuzz/crashes/$t- -print_final_stats=1 "$work" \
        > "tests/fuzz/$t.log" 2>&1 || { tail -30 "tests/fuzz/$t.log"; rm -rf "$work"; exit 1; }
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "tests/fuzz/$t.log" | sed "s/^/fuzz: $t: /"
    rm -rf "$work"
done
