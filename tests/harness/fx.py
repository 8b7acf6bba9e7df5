#!/usr/bin/env python3
"""fx: runs a group of cases through submitify, in parallel, against one
scripted server (tests/scripted/smtpd.py) and checks both sides.  It is the
group runner of tests/harness/lib.sh (hs_group), which starts the server
(hs_server), writes the submit.conf files (hs_conf) and decides, case by
case, whether the group passed (twin_verdict).

    fx.py prepare --spec CASES.jsonl --dir DIR --group NAME
        write DIR/case.json, the server's script for the group, and print
        one line per submit.conf the cases need: "NAME KEY VALUE..." (to be
        written by hs_conf NAME KEY VALUE...)
    fx.py run --spec CASES.jsonl --dir DIR --group NAME --root ROOT \
          --preload LIBS --bin DIR --conf-dir DIR --port PORT \
          --record RECORD --server-pid PID [--wrapper SUBMITIFY]
        run the cases and print, for each, "case KIND pass|fail LABEL<TAB>
        DETAIL" (KIND: real, weak or info; a real case run under the
        supervisor is labelled "NAME [seccomp]"), then "- REASON" lines for a case
        that failed, "| LINE" lines (its transcript's end and log lines, shown
        when its verdict is a failure), "problem TEXT" for each failed check
        of the whole group, and "time SECONDS"

CASES.jsonl holds one case per line (a JSON object; lines starting with
'#' are skipped):

  name      the case's name
  rules     scripted-server rules for this case's session (the "session"
            key is added here: one upstream session per case)
  client    "smtp" (tests/bin/smtpclient) or "raw" (tests/harness/rawsmtp.py)
  args      smtpclient options (the driver adds -i ID and the host), or
            rawsmtp steps.  Raw macros: %hello (greeting, EHLO),
            %env (MAIL, RCPT, DATA with their replies), %ID (a Message-ID
            unique to this run)
  conf      extra submit.conf lines as {"key": "value"} (default: timeout 3)
  raw_opts  extra rawsmtp options (e.g. ["--wait", "12"])
  bound     seconds the program may run before the driver kills it (20)
  weak      weak helpers (helper/weak/submitify-helper-NAME) that must
            FAIL this case's checks; each runs as a twin case
  weak_info weak helpers run for information only
  seccomp   true: the case runs once more, with the real helper and the
            program under the seccomp supervisor instead of the shim
            (SUBMITIFY --seccomp -c CONF -- PROGRAM, with --wrapper a copy
            of the wrapper that finds the helper wrapper below and the
            supervisor beside it: lib.sh hs_tree), with the same checks;
            and the program must have carried the supervisor's filter
  kill_helper, kill_client
            {"after": S}, {"on": "data", "bytes": N} (N message bytes
            seen by the server in this session), {"on": "eod"} (a rule on
            eod fired) or {"on": "cmd", "verb": V, "n": N} (the server read
            its Nth V command): SIGKILL the helper or the program then
  helper_grace  seconds the helper may outlive the program (6)
  expect    what must hold (all optional):
     exit         allowed program exit codes (negative: killed by signal)
     out/not_out  regexes (multi-line) the program's transcript must or
                  must not match
     acc, acc_max accepted messages in the case's session (exact / at most)
     not_from     envelope senders the server must never have accepted
     end          regex on the session's end: "REASON during=WHAT"
     cmd          {VERB: count} the server counted in the session
     no_cmd       verbs the server must never have received in the session
     secs_max     the program's run time bound
     rss_max      the helper's peak resident size, KB
     helper_exit  allowed helper ends ("0", "1", "sig9"; default 0 and 1)
     bare_lf      bare LF count of every accepted message
     body         the exact text of the one accepted message (escapes as
                  in rawsmtp), compared by SHA-256
     log          regex the helper's log line for this program must match

Checks made on every case: a program that printed a 250 for a message
(smtpclient transcript) must have that message accepted by the server; no
Message-ID is accepted twice in the whole record; the helper ends within
helper_grace seconds of the program and leaves no process behind; the
server saw exactly one session per case; under the supervisor, the
supervisor too ends within helper_grace seconds of the program.

Exit status: 0 when the cases ran (whatever their results), 1 if not.
"""
import argparse
import codecs
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import record  # noqa: E402  (the harness's one record reader)

DEFAULT_CONF = {"timeout": "3"}


def now():
    return time.monotonic()


class Case:
    def __init__(self, spec, helper, kind, seq, via="shim"):
        self.spec = spec
        self.name = spec["name"]
        self.helper = helper            # "real" or a weak name
        self.kind = kind                # "real", "weak" or "info"
        self.via = via                  # "shim" or "seccomp"
        self.seq = seq
        self.label = self.name if helper == "real" else f"{self.name} [weak {helper}]"
        self.run_id = f"{seq:03d}-{re.sub(r'[^A-Za-z0-9]+', '-', self.name)}-{helper}"
        if via != "shim":
            self.label += f" [{via}]"
            self.run_id += "-" + via
        self.msgid = f"fx.{os.getpid()}.{self.run_id}"
        self.session = None
        self.state = "pending"
        self.proc = None
        self.t_start = self.t_end = None
        self.killed_helper = self.killed_client = False
        self.bound_hit = False
        self.helper_tpid = None
        self.helper_pid = None
        self.helper_done_at = None
        self.left_behind = []
        self.failures = []
        self.rc = None


class Driver:
    def __init__(self, a):
        self.a = a
        self.root = a.root
        self.dir = a.dir
        os.makedirs(self.dir, exist_ok=True)
        self.record_path = a.record
        self.children = []
        self.port = a.port
        self.record = None
        self.record_at = 0
        self.cases = []
        self.filters0 = own_filters()

    # ---- setup ----

    def load(self):
        seq = 0
        with open(self.a.spec) as f:
            specs = [json.loads(l) for l in f if l.strip() and not l.lstrip().startswith("#")]
        for s in specs:
            seq += 1
            self.cases.append(Case(s, "real", "real", seq))
            if s.get("seccomp"):
                seq += 1
                self.cases.append(Case(s, "real", "real", seq, "seccomp"))
            for w in s.get("weak", []):
                seq += 1
                self.cases.append(Case(s, w, "weak", seq))
            for w in s.get("weak_info", []):
                seq += 1
                self.cases.append(Case(s, w, "info", seq))
        # Session numbers follow the launch order (one session per case).
        rules = []
        for i, c in enumerate(self.cases, 1):
            c.session = i
            for r in c.spec.get("rules", []):
                r = dict(r)
                r["session"] = i
                rules.append(r)
        self.script_data = {"item": 0, "description": f"fault group {self.a.group}",
                            "rules": rules}
        self.script_path = os.path.join(self.dir, "case.json")

    def script(self):
        """Write the server's script for the group: the rules of every case."""
        with open(self.script_path, "w") as f:
            json.dump(self.script_data, f, indent=1)

    def confs(self):
        """{name: settings} of the submit.conf files the cases need."""
        out = {}
        for c in self.cases:
            name, conf = self.conf_of(c)
            out[name] = conf
        return out

    def conf_of(self, case):
        """A case's submit.conf settings beyond hs_conf's defaults, and the
        name hs_conf writes them under (the same settings, the same file)."""
        conf = dict(DEFAULT_CONF)
        conf.update(case.spec.get("conf", {}))
        conf["logfile"] = os.path.join(self.dir, "helper.log")
        key = json.dumps(conf, sort_keys=True).encode()
        return f"{self.a.group}-{hashlib.sha1(key).hexdigest()[:10]}", conf

    def conf_for(self, case):
        return os.path.join(self.a.conf_dir, self.conf_of(case)[0] + ".conf")

    # ---- the record ----

    def read_record(self, force=False, every=0.1):
        if not force and now() - self.record_at < every:
            return self.record
        self.record_at = now()
        self.record = record.load(self.record_path) or self.record
        return self.record

    def session(self, n):
        return record.session(self.record, n)

    # ---- running ----

    def client_cmd(self, case):
        spec = case.spec
        if spec.get("client", "smtp") == "smtp":
            return [os.path.join(self.a.bin, "smtpclient")] + \
                spec.get("args", []) + ["-i", case.msgid, "192.0.2.35"]
        steps = []
        for st in spec.get("args", []):
            if st == "%hello":
                steps += ["<", ">EHLO client.test\\r\\n", "<"]
            elif st == "%env":
                steps += [">MAIL FROM:<a@client.test>\\r\\n", "<",
                          ">RCPT TO:<b@example.test>\\r\\n", "<", ">DATA\\r\\n", "<"]
            else:
                steps.append(st.replace("%ID", case.msgid))
        return [sys.executable, os.path.join(self.root, "tests/harness/rawsmtp.py")] + \
            spec.get("raw_opts", []) + ["--"] + steps

    def launch(self, case):
        helper = os.path.join(self.a.bin, "submitify-helper") if case.helper == "real" \
            else os.path.join(self.a.bin, "submitify-helper-" + case.helper)
        env = dict(os.environ)
        env.update({"LD_PRELOAD": self.a.preload, "SUBMITIFY_CONF": self.conf_for(case),
                    "SUBMITIFY_HELPER": os.path.join(self.dir, "helper-wrapper"),
                    "FX_DIR": self.dir, "FX_RUN": case.run_id, "FX_HELPER_BIN": helper})
        env.pop("SUBMITIFY_ACCOUNT", None)
        env.pop("SUBMITIFY_DEBUG", None)
        # One warm helper per helper kind (its own XDG_RUNTIME_DIR), so
        # that a weak twin's sessions are the weak twin's; the helper-wrapper
        # names them all alike.  A case that measures or kills the helper's
        # own process (its peak RSS, its exit, kill_helper) gets a cold
        # helper, the one /usr/bin/time runs.
        env["XDG_RUNTIME_DIR"] = self.warm_dir(case.helper)
        ex = case.spec.get("expect", {})
        if "kill_helper" in case.spec or "rss_max" in ex or "helper_exit" in ex:
            env["SUBMITIFY_WARM"] = "0"
        cmd = self.client_cmd(case)
        if case.via == "seccomp":
            # The wrapper finds the helper wrapper and the supervisor beside
            # itself; the filter count is written just before the program's
            # exec (a filter stays across exec).
            env.pop("LD_PRELOAD")
            env["SUBMITIFY_HELPER"] = "/nonexistent"
            cmd = [self.a.wrapper, "--seccomp", "-c", self.conf_for(case), "--",
                   "sh", "-c", 'sed -n "s/^Seccomp_filters:[[:space:]]*//p" '
                   '/proc/$$/status > "$0" && exec "$@"', self.filters_path(case)] + cmd
        out = open(os.path.join(self.dir, case.run_id + ".out"), "w")

        def ignore_sigpipe():
            # A broken connection is exit 2 in smtpclient, not death by SIGPIPE.
            signal.signal(signal.SIGPIPE, signal.SIG_IGN)

        case.t_start = now()
        case.t_rel = case.t_start - self.t0
        case.proc = subprocess.Popen(cmd, env=env, stdout=out,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     preexec_fn=ignore_sigpipe)
        self.children.append(case.proc)
        case.state = "launched"

    def helper_pids(self, case):
        """The wrapper's pid (it execs /usr/bin/time) and the helper's."""
        if case.helper_tpid is None:
            try:
                case.helper_tpid = int(open(os.path.join(self.dir, case.run_id + ".pid")).read())
            except (OSError, ValueError):
                return
        if case.helper_pid is None:
            try:
                kids = open(f"/proc/{case.helper_tpid}/task/{case.helper_tpid}/children").read().split()
                if kids:
                    case.helper_pid = int(kids[0])
            except OSError:
                pass

    def filters_path(self, case):
        return os.path.join(self.dir, case.run_id + ".filters")

    def supervisors(self, case):
        """The live supervisors the wrapper started for this case."""
        found = []
        if case.via != "seccomp":
            return found
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                if open(f"/proc/{d}/comm").read().strip() != "submitify-super":
                    continue
                env = open(f"/proc/{d}/environ", "rb").read().split(b"\0")
            except OSError:
                continue
            if f"FX_RUN={case.run_id}".encode() in env and self.alive(int(d)):
                found.append(int(d))
        return found

    def alive(self, pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    def trigger_due(self, case, trig):
        if trig is None:
            return False
        if "after" in trig:
            return now() - case.t_start >= trig["after"]
        s = self.session(case.session)
        if s is None:
            return False
        if trig["on"] == "eod":
            return any(e["ev"] == "script" and e["trigger"] in ("eod", "end_of_data")
                       for e in s["events"])
        if trig["on"] == "cmd":
            return sum(1 for e in s["events"] if e["ev"] == "cmd" and
                       e["verb"] == trig["verb"]) >= trig.get("n", 1)
        if trig["on"] == "data":
            seen, n = False, 0
            for e in s["events"]:
                if e["ev"] == "data_start":
                    seen = True
                elif seen and e["ev"] == "recv":
                    n += e["len"] if "len" in e else len(e.get("data", ""))
            return seen and n >= trig.get("bytes", 1)
        return False

    def tick(self, case):
        """Advance one running case; True when it is finished."""
        spec = case.spec
        if case.state in ("launched", "running"):
            self.helper_pids(case)
            if not case.killed_helper and self.trigger_due(case, spec.get("kill_helper")):
                self.helper_pids(case)
                if case.helper_pid is not None:
                    try:
                        os.kill(case.helper_pid, signal.SIGKILL)
                    except ProcessLookupError:
                        case.failures.append("the helper had already ended when the "
                                             "kill was due (the case did not test what it meant to)")
                    case.killed_helper = True
            if not case.killed_client and self.trigger_due(case, spec.get("kill_client")):
                if case.proc.poll() is None:
                    case.proc.kill()
                case.killed_client = True
            if case.proc.poll() is not None:
                case.t_end = now()
                case.rc = case.proc.returncode
                case.state = "client_done"
            elif now() - case.t_start > spec.get("bound", 20):
                case.bound_hit = True
                case.proc.kill()
                case.proc.wait()
                case.t_end = now()
                case.rc = case.proc.returncode
                case.state = "client_done"
        if case.state == "client_done":
            self.helper_pids(case)
            tpid = case.helper_tpid
            sups = self.supervisors(case)
            grace = 2 if case.bound_hit else spec.get("helper_grace", 6)
            if (tpid is None or not self.alive(tpid)) and not sups:
                case.helper_done_at = now()
                case.state = "done"
            elif now() - case.t_end > grace:
                if tpid is not None and self.alive(tpid):
                    case.left_behind.append(f"the helper (pid {case.helper_pid or tpid}) was still "
                                            f"running {grace} s after the program ended")
                for p in sups:
                    case.left_behind.append(f"the supervisor (pid {p}) was still running "
                                            f"{grace} s after the program ended")
                for p in [case.helper_pid, tpid] + sups:
                    if p is not None:
                        try:
                            os.kill(p, signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                case.state = "done"
        if case.state == "done":
            # Any helper of this program still alive (argv "... --pid N ...")?
            pid = case.proc.pid
            for d in os.listdir("/proc"):
                if not d.isdigit():
                    continue
                try:
                    a = open(f"/proc/{d}/cmdline", "rb").read().replace(b"\0", b" ").decode("latin-1")
                except OSError:
                    continue
                if "submitify-helper" in a and f" --pid {pid} " in a + " " and self.alive(int(d)):
                    case.left_behind.append(f"process {d} left behind: {a.strip()}")
                    try:
                        os.kill(int(d), signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            case.state = "finished"
            return True
        return False

    def run(self):
        self.t0 = now()
        pending = list(self.cases)
        running = []
        waiting = None          # the case whose upstream session must appear
        wait_since = 0
        expected = 0
        while pending or running:
            self.read_record(every=0.05)
            if waiting is not None:
                rec = self.record
                got = rec["totals"]["sessions"] if rec else 0
                if got >= expected:
                    waiting.state = "running" if waiting.state == "launched" else waiting.state
                    waiting = None
                elif now() - wait_since > 15:
                    waiting.failures.append(
                        f"no upstream session appeared within 15 s (server has {got}, "
                        f"expected {expected}); later cases cannot be matched")
                    for c in pending:
                        c.failures.append("not run: an earlier case broke the session numbering")
                        c.state = "finished"
                    pending = []
                    waiting = None
            if waiting is None and pending:
                c = pending.pop(0)
                self.launch(c)
                running.append(c)
                expected += 1
                waiting, wait_since = c, now()
            for c in list(running):
                if self.tick(c):
                    running.remove(c)
            time.sleep(0.02)
        # The server notices a client's end after the client: a record made
        # current, in which every session has ended.
        record.refresh(self.record_path, self.a.server_pid, 5)
        record.settle(self.record_path, 20)
        self.read_record(force=True)

    # ---- checking ----

    def transcript(self, case):
        try:
            return open(os.path.join(self.dir, case.run_id + ".out"), encoding="latin-1").read()
        except OSError:
            return ""

    def log_lines(self, case):
        try:
            text = open(os.path.join(self.dir, "helper.log"), encoding="latin-1").read()
        except OSError:
            return []
        pid = case.proc.pid if case.proc else -1
        return [l for l in text.splitlines() if re.search(rf"submitify\[[^:\]]*:{pid}\]", l)]

    def helper_end(self, case):
        """(peak RSS KB, "0"/"1"/"sigN") from /usr/bin/time, or (None, None)."""
        try:
            lines = open(os.path.join(self.dir, case.run_id + ".time")).read().splitlines()
        except OSError:
            return None, None
        sig = None
        for l in lines:
            m = re.match(r"Command terminated by signal (\d+)", l)
            if m:
                sig = "sig" + m.group(1)
        try:
            rss, status = lines[-1].split()
        except (IndexError, ValueError):
            return None, sig
        return int(rss), sig or status

    def acked_ids(self, case, out):
        """Message-IDs smtpclient saw a final 250 for, after its final dot."""
        if case.spec.get("client", "smtp") != "smtp":
            return []
        count = 1
        args = case.spec.get("args", [])
        if "-n" in args:
            count = int(args[args.index("-n") + 1])
        acked, m, after_dot = [], -1, False
        for l in out.splitlines():
            if l == "-> .":
                m += 1
                after_dot = True
                continue
            if after_dot and l.startswith("<- "):
                t = l[3:]
                if len(t) >= 4 and t[3] == "-":
                    continue
                if t.startswith("250"):
                    acked.append(case.msgid if count == 1 else f"{case.msgid}.{m}")
                after_dot = False
        return acked

    def check(self, case):
        f = list(case.failures)
        spec, ex = case.spec, case.spec.get("expect", {})
        out = self.transcript(case)
        s = self.session(case.session)
        secs = (case.t_end or now()) - (case.t_start or now())
        if s is None:
            f.append(f"the server has no session {case.session}")
            s = {"events": [], "commands": {}, "end": None}
        accepted = record.messages(s)
        acc_ids = [e.get("message_id") for e in accepted]
        if case.bound_hit:
            f.append(f"the program was still running after {spec.get('bound', 20)} s (killed)")
        if case.via == "seccomp":
            try:
                n = int(open(self.filters_path(case)).read())
            except (OSError, ValueError):
                n = None
            if n is None or n <= self.filters0:
                f.append(f"the program did not run under the supervisor's filter "
                         f"(Seccomp_filters {n}, fx.py's {self.filters0})")
        f.extend(case.left_behind)
        if "exit" in ex and case.rc not in ex["exit"] and not case.bound_hit:
            f.append(f"program exit {case.rc}, expected one of {ex['exit']}")
        for rx in ex.get("out", []):
            if not re.search(rx, out, re.M):
                f.append(f"the program did not see /{rx}/")
        for rx in ex.get("not_out", []):
            m = re.search(rx, out, re.M)
            if m:
                f.append(f"the program saw /{rx}/: {m.group(0)!r}")
        if "acc" in ex and len(accepted) != ex["acc"]:
            f.append(f"the server accepted {len(accepted)} message(s) {acc_ids}, expected {ex['acc']}")
        if "acc_max" in ex and len(accepted) > ex["acc_max"]:
            f.append(f"the server accepted {len(accepted)} message(s) {acc_ids}, at most {ex['acc_max']} allowed")
        for frm in ex.get("not_from", []):
            bad = [e for e in accepted if e.get("mail_from") == frm]
            if bad:
                f.append(f"the server accepted a message from <{frm}>: {bad[0].get('message_id')}")
        end = s.get("end") or {}
        end_text = f"{end.get('reason')} during={end.get('during', '-')}"
        if "end" in ex and not re.search(ex["end"], end_text):
            f.append(f"server session end '{end_text}', expected /{ex['end']}/")
        cmds = s.get("commands") or {}
        for verb, n in ex.get("cmd", {}).items():
            if cmds.get(verb, 0) != n:
                f.append(f"the server counted {cmds.get(verb, 0)} {verb}, expected {n}")
        for verb in ex.get("no_cmd", []):
            if cmds.get(verb, 0):
                f.append(f"the server received {verb} ({cmds[verb]}x)")
        if "secs_max" in ex and secs > ex["secs_max"]:
            f.append(f"the program ran {secs:.1f} s, more than {ex['secs_max']} s")
        rss, hend = self.helper_end(case)
        allowed = ex.get("helper_exit", ["0", "1"])
        if hend is None:
            if case.helper_tpid is not None:
                f.append("the helper's end was not recorded by /usr/bin/time")
        elif hend not in allowed:
            f.append(f"the helper ended with {hend}, expected {allowed}")
        if "rss_max" in ex and (rss is None or rss > ex["rss_max"]):
            f.append(f"the helper's peak RSS was {rss} KB, more than {ex['rss_max']} KB")
        if "bare_lf" in ex:
            for e in accepted:
                if e.get("bare_lf") != ex["bare_lf"]:
                    f.append(f"accepted message has bare_lf={e.get('bare_lf')}, expected {ex['bare_lf']}")
        if "body" in ex:
            want = codecs.decode(ex["body"].replace("%ID", case.msgid),
                                 "unicode_escape").encode("latin-1")
            sha = hashlib.sha256(want).hexdigest()
            if len(accepted) != 1 or accepted[0].get("sha256") != sha:
                got = [(e.get("size"), e.get("sha256", "")[:12]) for e in accepted]
                f.append(f"the accepted message is not the program's text "
                         f"(want {len(want)} bytes {sha[:12]}, got {got})")
        logs = self.log_lines(case)
        if "log" in ex and not any(re.search(ex["log"], l) for l in logs):
            f.append(f"no helper log line matches /{ex['log']}/")
        # Never a false 250.
        for mid in self.acked_ids(case, out):
            if f"<{mid}>" not in acc_ids:
                f.append(f"FALSE 250: the program got 250 for <{mid}>, the server did not accept it")
        case.failures = f
        case.logs = logs
        case.secs = secs
        case.rss = rss
        case.hend = hend
        case.end_text = end_text
        case.n_acc = len(accepted)

    def global_checks(self):
        rec = self.record or {"sessions": [], "totals": {"sessions": 0}}
        problems = []
        for mid, sids in record.retransmitted(rec).items():
            problems.append(f"message {mid} accepted {len(sids)} times (sessions {sids}): "
                            f"a retransmission")
        if rec["totals"]["sessions"] != len(self.cases):
            problems.append(f"the server saw {rec['totals']['sessions']} sessions for "
                            f"{len(self.cases)} cases")
        return problems

    def report(self):
        """The results, for hs_group's verdicts (lib.sh twin_verdict)."""
        lines = []
        self.read_record(force=True)
        for c in self.cases:
            self.check(c)
            detail = (f"@{getattr(c, 't_rel', -1):.1f} {c.secs:.1f}s prog-exit={c.rc} srv-accepted={c.n_acc} "
                      f"srv-end='{c.end_text}' helper={c.hend} rss={c.rss}KB")
            label = c.label.replace("\t", " ")
            lines.append(f"case {c.kind} {'fail' if c.failures else 'pass'} {label}\t{detail}")
            for r in c.failures:
                lines.append(f"- {r}")
            for l in self.transcript(c).strip().splitlines()[-8:]:
                lines.append(f"| {l[:300]}")
            for l in c.logs[-2:]:
                lines.append(f"| log: {l[:400]}")
        for p in self.global_checks():
            lines.append(f"problem {p}")
        print("\n".join(lines))

    def warm_dir(self, helper):
        d = os.path.join(self.dir, "run-" + helper)
        os.makedirs(d, mode=0o700, exist_ok=True)
        return d

    def cleanup(self):
        for helper in sorted({c.helper for c in self.cases}):
            env = dict(os.environ, XDG_RUNTIME_DIR=self.warm_dir(helper))
            env.pop("LD_PRELOAD", None)
            subprocess.run([os.path.join(self.root, "wrapper/submitify"), "--warm-stop"],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=20, check=False)
        for p in self.children:
            if p.poll() is None:
                p.kill()
                p.wait()
        for c in self.cases:
            for pid in (c.helper_pid, c.helper_tpid):
                if pid is not None and self.alive(pid):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass


def own_filters():
    """How many seccomp filters this process carries."""
    with open("/proc/self/status") as f:
        for l in f:
            if l.startswith("Seccomp_filters:"):
                return int(l.split()[1])
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["prepare", "run"])
    p.add_argument("--spec", required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--group", required=True)
    p.add_argument("--root")
    p.add_argument("--preload")
    p.add_argument("--bin", help="the helpers and smtpclient (a snapshot of the build)")
    p.add_argument("--conf-dir", help="where hs_conf wrote the submit.conf files")
    p.add_argument("--port", type=int)
    p.add_argument("--record")
    p.add_argument("--server-pid", type=int)
    p.add_argument("--wrapper", help="submitify, for the cases run under the supervisor")
    a = p.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    d = Driver(a)
    d.load()
    if a.what == "prepare":
        d.script()
        for name, conf in sorted(d.confs().items()):
            print(" ".join([name] + [f"{k} {v}" for k, v in sorted(conf.items())]))
        return 0
    try:
        wrapper = os.path.join(a.dir, "helper-wrapper")
        with open(wrapper, "w") as f:
            f.write('#!/bin/sh\n# The helper under /usr/bin/time: its pid, peak RSS and end.\n'
                    'echo $$ > "$FX_DIR/$FX_RUN.pid"\n'
                    'exec /usr/bin/time -f "%M %x" -o "$FX_DIR/$FX_RUN.time" '
                    '"$FX_HELPER_BIN" "$@"\n')
        os.chmod(wrapper, 0o755)
        t0 = now()
        d.run()
        d.cleanup()
        d.report()
        print(f"time {now() - t0:.1f}")
        return 0
    finally:
        d.cleanup()


if __name__ == "__main__":
    sys.exit(main())
