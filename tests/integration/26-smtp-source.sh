#!/bin/bash
# Postfix's smtp-source (its own event loop, non-blocking connects, several
# sessions at once) wrapped by submitify.  Run 1: 4 parallel sessions, 8
# messages, one per connection.  Run 2 (-d): 2 sessions, 6 messages, several
# per connection.  Each run has its own subject; every message must arrive,
# once, over TLS + AUTH.
# shellcheck disable=SC1091 # sourced from the tree
. "$(dirname "$0")/../lib/common.sh"
# shellcheck disable=SC1091
. "$ROOT/tests/runtimes/lib.sh"
SMTP_SOURCE=$(command -v smtp-source || echo /usr/sbin/smtp-source)
[ -x "$SMTP_SOURCE" ] || skip "needs smtp-source (the postfix package)"
rt_setup

# run NAME WANT SMTP-SOURCE-OPTIONS...: WANT messages with a unique subject.
run() {
    local name=$1 want=$2 subj f n ids
    shift 2
    subj="smtp-source $name $RT_TAG"
    rt_send "$RT_TMP/$name.log" "smtp-source ($name)" "$SMTP_SOURCE" "$@" \
        -f "$RT_FROM" -t "$RT_RCPT" -S "$subj" -M client.test "$RT_DEST:25"
    f=$(rt_delivered bob "$subj" "$want") || exit 1
    n=$("$RIG" count-mail "$SUBMITIFY_RIG" bob "$subj")
    # Each a message of its own, not one delivered twice (when smtp-source
    # numbers its messages with a Message-Id, as Postfix 3.7's does).
    ids=$(grep -l -F "$subj" "$RIG_MAILDIR_BOB"/new/* "$RIG_MAILDIR_BOB"/cur/* \
        2>/dev/null | xargs -r grep -h -i '^Message-Id:' | sort -u | grep -c .)
    [ "$ids" = 0 ] || [ "$ids" = "$want" ] ||
        fail "$name: $ids distinct Message-Ids among $n messages"
    # rt_delivered checked one; every copy must have come in over AUTH + TLS.
    n=$(grep -l -F "$subj" "$RIG_MAILDIR_BOB"/new/* "$RIG_MAILDIR_BOB"/cur/* \
        2>/dev/null | xargs -r grep -l 'with ESMTPSA' | grep -c .)
    [ "$n" = "$want" ] || fail "$name: only $n of $want messages came with ESMTPSA"
    note "$name: $want messages delivered"
}

run parallel 8 -s 4 -m 8
run reuse 6 -d -s 2 -m 6
exit 0
