#!/bin/bash
# make demo keeps working: the demo script delivers its message over TLS,
# authenticated, and says so.
. "$(dirname "$0")/../lib/common.sh"
need_cmd python3 openssl
tmp=$(mktmp)
timeout 120 "$ROOT/tests/demo.sh" > "$tmp/out" 2>&1 || fail "demo: $(tail -10 "$tmp/out")"
assert_contains "$tmp/out" "<- 220 mail.test ESMTP submitify"
assert_contains "$tmp/out" "with ESMTPSA (TLSv1."
assert_contains "$tmp/out" "== OK: the message arrived over TLS, authenticated as alice (ESMTPSA)"
note "demo delivered"
