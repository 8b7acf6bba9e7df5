#!/bin/sh
# selftest.sh: checks tests/scripted/smtpd.py with smtplib and raw-socket clients.
# Exit 0 when every check passed; otherwise non-zero with the failed checks named.
# Usage: tests/scripted/selftest.sh [CHECK-NAME-SUBSTRING...]
set -eu

here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-python3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/smtpd-selftest.XXXXXX")

cleanup() {
	[ -n "${KEEP:-}" ] && { echo "selftest: kept $tmp" >&2; return; }
	if [ -f "$tmp/pids" ]; then
		while read -r pid; do
			kill "$pid" 2>/dev/null || true
		done <"$tmp/pids"
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

for tool in openssl timeout "$python"; do
	command -v "$tool" >/dev/null 2>&1 || { echo "selftest: $tool not found" >&2; exit 1; }
done

# A throwaway self-signed certificate for mail.test (EC P-256: fast handshakes).
if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 2 -subj "/CN=mail.test" \
	-addext "subjectAltName=DNS:mail.test" >"$tmp/openssl.log" 2>&1; then
	echo "selftest: openssl could not make a certificate:" >&2
	cat "$tmp/openssl.log" >&2
	exit 1
fi

status=0
timeout -k 5 60 "$python" "$here/selftest.py" --dir "$tmp" --server "$here/smtpd.py" \
	--cases "$here/cases" --cert "$tmp/cert.pem" --key "$tmp/key.pem" "$@" || status=$?
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
	echo "selftest: FAILED: gave up after 60 s" >&2
elif [ "$status" -ne 0 ]; then
	echo "selftest: FAILED (exit $status)" >&2
fi
exit "$status"
