#!/usr/bin/env python3
"""The scenarios of bench/faults/replicas.sh and bench/faults/slow.sh. Standard library only; the HTTP,
GraphQL, WebSocket, sign-in and check helpers are those of load.py.

  replicas  --proxy-port --proxy-log --ports A,B --logs A.log B.log --state S --run R
            one scripted scenario through the round-robin proxy: rate limits, OTP attempts, session
            revocation, the app config cache and subscriptions must agree across the two replicas
  slow      --url --state --logs ... --pid P
            a steady `{ version }` probe while a slow LLM provider, slowloris clients and 1 000 idle
            WebSockets run; p50/p99 against the baseline, what the server did to each, its RSS

Each prints a summary and exits 1 with one VIOLATION line per broken rule.
"""

import argparse
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from load import (CONSUME, GENERATE, Checks, WsClient, WsClosed, gql, http_call, log,  # noqa: E402
                  log_offsets, otp_code, percentile)

REQUEST_OTP = "mutation R($e: String!) { requestOtp(input: {email: $e}) { sentTo } }"
VERIFY_OTP = ("mutation V($e: String!, $c: String!) { verifyOtp(input: {email: $e, code: $c}) "
              "{ accessToken user { id } } }")
SET_ACTION = ("mutation S($id: ID!, $a: String!, $c: Int!) { setAppAction(appId: $id, action: $a, dustCost: $c) "
              "{ dustCost } }")
SAVE_RECIPE = "mutation W($app: ID!, $c: String!) { saveRecipe(input: {appId: $app, content: $c}) { id } }"
BALANCE_SUB = "subscription { dustBalanceChanged { balance transaction { id amount type action } } }"


def code_of(response):
    """(extensions.code of the first error or None, its extensions); a transport failure as a code."""
    body = response.get("body")
    if isinstance(body, dict) and body.get("errors"):
        error = body["errors"][0]
        return (error.get("extensions") or {}).get("code") or "NO_CODE", error.get("extensions") or {}
    if response.get("transport"):
        return f"transport:{response['transport']}", {}
    return None, {}


# ---- replicas ---------------------------------------------------------------------------------------

class Router:
    """Puts each request on the replica it names: the proxy hands connections out in turn and logs
    each one, so a connection is opened and closed to skip a turn when needed; every answer is then
    checked against the proxy's log (which replica served it)."""

    def __init__(self, proxy_port, proxy_log, ports):
        self.url = f"http://127.0.0.1:{proxy_port}"
        self.port = proxy_port
        self.log_path = proxy_log
        self.ports = ports  # index 0 is replica A, 1 is replica B
        self.served = []

    def lines(self):
        with open(self.log_path) as f:
            return [line.split() for line in f if line.strip()]

    def _settled(self, expected=None):
        deadline = time.time() + 3
        while True:
            lines = self.lines()
            if expected is None or len(lines) >= expected or time.time() > deadline:
                return lines
            time.sleep(0.02)

    def align(self, replica):
        lines = self._settled()
        while len(lines) % len(self.ports) != replica:
            socket.create_connection(("127.0.0.1", self.port), timeout=5).close()
            lines = self._settled(len(lines) + 1)
        return len(lines)

    def check(self, index, replica, what):
        lines = self._settled(index + 1)
        served = int(lines[index][2]) if len(lines) > index else None
        if served != self.ports[replica]:
            raise SystemExit(f"the proxy sent {what} to port {served}, not to replica {'AB'[replica]}")
        self.served.append(replica)

    def gql(self, replica, query, variables=None, token=None, headers=None, what="a request"):
        index = self.align(replica)
        response = gql(self.url, query, variables, token=token, headers=headers)
        self.check(index, replica, what)
        return response

    def ws(self, replica):
        index = self.align(replica)
        socket_ = WsClient(self.url)
        self.check(index, replica, "a WebSocket")
        return socket_


def replicas(args):
    with open(args.state) as f:
        state = json.load(f)
    ports = [int(p) for p in args.ports.split(",")]
    router = Router(args.proxy_port, args.proxy_log, ports)
    checks = Checks()
    results = []
    A, B = 0, 1
    run = state["run"]

    def outcome(name, ok, seen, expected):
        results.append((name, ok, seen))
        if not ok:
            checks.fail(f"{name}: expected {expected}", {"seen": seen})
        log(f"{'ok  ' if ok else 'FAIL'} {name}: {seen}")

    # (a) Rate limits count across both replicas.
    email = f"{run}-twice@example.com".lower()
    ip = {"x-forwarded-for": "198.19.1.1"}
    first = router.gql(A, REQUEST_OTP, {"e": email}, headers=ip)
    second = router.gql(B, REQUEST_OTP, {"e": email}, headers=ip)
    code, ext = code_of(second)
    outcome("requestOtp for one address on A, then at once on B", code_of(first)[0] is None and code == "RATE_LIMITED"
            and ext.get("retryAfter") is not None,
            f"A: {code_of(first)[0] or 'sent'}, B: {code or 'sent'} (retryAfter {ext.get('retryAfter')})",
            "A sends, B answers RATE_LIMITED with retryAfter")

    ip = {"x-forwarded-for": "198.19.2.1"}
    answers = []
    for i in range(21):
        r = router.gql(i % 2, REQUEST_OTP, {"e": f"{run}-ip{i}@example.com".lower()}, headers=ip)
        answers.append(code_of(r)[0] or "sent")
    outcome("21 code requests from one IP, alternating A and B (20 an hour per IP)",
            answers[:20] == ["sent"] * 20 and answers[20] == "RATE_LIMITED",
            f"{answers[:20].count('sent')} of the first 20 sent; the 21st (on {'AB'[20 % 2]}): {answers[20]}",
            "20 sent, the 21st RATE_LIMITED")

    user = state["users"][0]
    answers = []
    for i in range(args.write_limit + 1):
        r = router.gql(i % 2, SAVE_RECIPE, {"app": state["app"]["id"], "c": f"Recipe {i} of the drill"},
                       token=user["token"])
        answers.append(code_of(r)[0] or "saved")
    outcome(f"{args.write_limit + 1} saveRecipe by one user alternating A and B "
            f"(WRITE_RATE_LIMIT_PER_MINUTE={args.write_limit})",
            answers[:-1] == ["saved"] * args.write_limit and answers[-1] == "RATE_LIMITED",
            ", ".join(answers), f"{args.write_limit} saved, then RATE_LIMITED")

    # (b) Wrong one-time codes are counted across replicas.
    email = f"{run}-guess@example.com".lower()
    ip = {"x-forwarded-for": "198.19.3.1"}
    offsets = log_offsets(args.logs)
    sent = router.gql(A, REQUEST_OTP, {"e": email}, headers=ip)
    if code_of(sent)[0]:
        outcome("requestOtp for the wrong-code test", False, code_of(sent)[0], "sent")
    else:
        code = otp_code(args.logs, email, offsets)
        wrong = "000000" if code == "999999" else "999999"
        seen = []
        for i in range(5):
            r = router.gql(B if i % 2 == 0 else A, VERIFY_OTP, {"e": email, "c": wrong}, headers=ip)
            c, ext = code_of(r)
            seen.append(f"{'BA'[i % 2]}:{c}/{ext.get('attemptsLeft')}")
        right = router.gql(A, VERIFY_OTP, {"e": email, "c": code}, headers=ip)
        c_right = code_of(right)[0]
        expected = ["B:UNAUTHENTICATED/4", "A:UNAUTHENTICATED/3", "B:UNAUTHENTICATED/2", "A:UNAUTHENTICATED/1"]
        outcome("5 wrong codes alternating B and A, then the right code on A",
                seen[:4] == expected and seen[4].split("/")[0] == "B:UNAUTHENTICATED" and c_right == "UNAUTHENTICATED",
                f"code (attemptsLeft): {', '.join(seen)}; the right code then: {c_right or 'signed in'}",
                "attemptsLeft 4, 3, 2, 1 across both, the 5th burns the code, the right one is refused")

    # (c) A session signed out on one replica is refused on the other at once (HTTP and WebSocket).
    user = state["users"][1]
    me = "{ me { id } }"
    before = [code_of(router.gql(r, me, token=user["token"]))[0] or "ok" for r in (A, B)]
    ws = router.ws(B)
    ack = ws.init(user["token"])
    out = router.gql(A, "mutation { signOut }", token=user["token"])
    t_out = time.time()
    after_b = code_of(router.gql(B, me, token=user["token"]))[0] or "ok"
    took = time.time() - t_out
    after_a = code_of(router.gql(A, me, token=user["token"]))[0] or "ok"
    try:
        ws.recv(timeout=8)
        ws_end = "still open after 8 s"
    except WsClosed as closed:
        ws_end = f"closed {closed.code} after {time.time() - t_out:.1f} s"
    except (socket.timeout, TimeoutError):
        ws_end = "still open after 8 s"
    ws.close()
    outcome("signOut on A: the token on B (me, right after)",
            before == ["ok", "ok"] and ack.get("type") == "connection_ack" and code_of(out)[0] is None
            and after_b == "UNAUTHENTICATED" and after_a == "UNAUTHENTICATED",
            f"before: A {before[0]}, B {before[1]}; signOut: {code_of(out)[0] or 'ok'}; after: B {after_b} "
            f"({took * 1000:.0f} ms after the sign-out answered), A {after_a}",
            "UNAUTHENTICATED on both at once")
    outcome("signOut on A: that session's WebSocket on B", ws_end.startswith("closed 4401"), ws_end,
            "closed with 4401")

    # (d) A price changed through one replica is what the other charges right after.
    admin = state["admin"]["token"]
    user = state["users"][2]
    app = state["app"]["id"]
    charged = []

    def consume(replica, key):
        r = router.gql(replica, CONSUME, {"input": {"appId": app, "action": "spend", "idempotencyKey": f"{run}-{key}"}},
                       token=user["token"])
        c = code_of(r)[0]
        return c or -r["body"]["data"]["consumeDust"]["amount"]

    charged.append(("B, price 1 (cached there now)", consume(B, "price-1"), 1))
    set7 = code_of(router.gql(A, SET_ACTION, {"id": app, "a": "spend", "c": 7}, token=admin))[0]
    charged.append(("B, right after A set 7", consume(B, "price-7"), 7))
    charged.append(("A, price 7 (cached there now)", consume(A, "price-7a"), 7))
    set3 = code_of(router.gql(B, SET_ACTION, {"id": app, "a": "spend", "c": 3}, token=admin))[0]
    charged.append(("A, right after B set 3", consume(A, "price-3"), 3))
    outcome("setAppAction on one replica, consumeDust on the other right after",
            set7 is None and set3 is None and all(got == want for _, got, want in charged),
            "; ".join(f"{what}: charged {got}" for what, got, _ in charged),
            "each charge at the price set last, whichever replica set it")

    # (e) A balance subscription on A sees a consumeDust made through B.
    user = state["users"][3]
    ws = router.ws(A)
    ack = ws.init(user["token"])
    ws.subscribe("balance", BALANCE_SUB)
    try:
        current = ws.recv(timeout=5)
    except (WsClosed, socket.timeout, TimeoutError) as error:
        current = {"error": str(error)}
    r = router.gql(B, CONSUME, {"input": {"appId": app, "action": "spend", "quantity": 2,
                                          "idempotencyKey": f"{run}-sub"}}, token=user["token"])
    t_sent = time.time()
    tx = (r.get("body") or {}).get("data", {}) or {}
    tx = tx.get("consumeDust") or {}
    try:
        event = ws.recv(timeout=5)
        waited = time.time() - t_sent
    except (WsClosed, socket.timeout, TimeoutError) as error:
        event, waited = {"error": str(error)}, None
    ws.close()
    change = ((event.get("payload") or {}).get("data") or {}).get("dustBalanceChanged") or {}
    outcome("dustBalanceChanged on A after consumeDust on B",
            ack.get("type") == "connection_ack" and current.get("type") == "next" and tx
            and change.get("balance") == tx.get("balanceAfter")
            and (change.get("transaction") or {}).get("id") == tx.get("id"),
            f"event {json.dumps(change)} " + (f"{waited * 1000:.0f} ms after the mutation answered"
                                              if waited is not None else "never")
            + f"; the mutation: {json.dumps(tx)}",
            "the event of that transaction, with its balanceAfter")

    print()
    print("==> two replicas behind one address (round-robin proxy; PostgreSQL and Redis shared)")
    for name, ok, seen in results:
        print(f"  {'PASS' if ok else 'FAIL'}  {name}: {seen}")
    print(f"requests routed: {router.served.count(A)} to A, {router.served.count(B)} to B (each checked against "
          "the proxy's connection log)")
    checks.finish()


# ---- slow clients and slow providers ----------------------------------------------------------------

class Probe:
    """`{ version }` from a normal client every `interval` seconds, on a fresh connection each time,
    for the whole run; each answer is labelled with the phase running when it was sent."""

    def __init__(self, url, interval=0.1, timeout=10.0):
        self.url, self.interval, self.timeout = url, interval, timeout
        self.phase = "start-up"
        self.samples = []  # (phase, t0, latency, ok, detail)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stop.is_set():
            phase = self.phase
            r = http_call(self.url, body={"query": "{ version }"}, timeout=self.timeout)
            ok = (r["status"] == 200 and isinstance(r["body"], dict)
                  and isinstance(r["body"].get("data"), dict) and r["body"]["data"].get("version"))
            self.samples.append((phase, r["t0"], r["latency"], bool(ok), r["transport"] or r["status"]))
            self.stop.wait(self.interval)

    def of(self, phase):
        return [s for s in self.samples if s[0] == phase]


def slowloris_client(url, kind, observe, results):
    """POST /graphql: "body" sends the headers with Content-Length: 100000 and then one body byte a
    second; "headers" sends the request line and then one byte of a header a second (the headers never
    end). Records what the server did and after how long."""
    host, port = url.split("//", 1)[1].rstrip("/").split(":")
    t0 = time.time()
    record = {"kind": kind, "what": None, "after_s": None, "bytes_sent": 0}
    try:
        sock = socket.create_connection((host, int(port)), timeout=5)
    except OSError as error:
        record.update(what=f"connect failed ({type(error).__name__})", after_s=0.0)
        results.append(record)
        return
    if kind == "body":
        head = (f"POST /graphql HTTP/1.1\r\nHost: {host}:{port}\r\ncontent-type: application/json\r\n"
                "content-length: 100000\r\n\r\n")
    else:
        head = f"POST /graphql HTTP/1.1\r\nHost: {host}:{port}\r\nx-slow: "
    answer = b""
    try:
        sock.sendall(head.encode())
        sock.settimeout(1.0)
        while time.time() - t0 < observe:
            try:
                chunk = sock.recv(65536)
                if not chunk:
                    status = answer.split(b"\r\n", 1)[0].decode(errors="replace") if answer else None
                    record.update(what=f"answered '{status}', then closed" if status else "closed without an answer",
                                  after_s=time.time() - t0 if record["after_s"] is None else record["after_s"])
                    break
                if not answer:
                    record["after_s"] = time.time() - t0
                answer += chunk
                continue
            except (socket.timeout, TimeoutError):
                pass
            except OSError as error:
                record.update(what=f"reset ({type(error).__name__})", after_s=time.time() - t0)
                break
            try:
                sock.sendall(b"{" if kind == "body" and record["bytes_sent"] == 0 else b" ")
                record["bytes_sent"] += 1
            except OSError as error:
                record.update(what=f"cut while sending ({type(error).__name__})", after_s=time.time() - t0)
                break
        else:
            status = answer.split(b"\r\n", 1)[0].decode(errors="replace") if answer else None
            record["what"] = (f"answered '{status}', connection still open" if status
                              else f"still open after {observe:.0f} s, no answer")
            if record["after_s"] is None:
                record["after_s"] = observe
        if record["what"] and "answered" in record["what"]:
            record["status"] = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else None
    finally:
        sock.close()
    results.append(record)


def balance(url, token):
    r = gql(url, "{ me { dustBalance } }", token=token)
    return ((r.get("body") or {}).get("data") or {}).get("me", {}).get("dustBalance")


def open_sockets(url, count, token_of=None):
    """`count` WebSockets with connection_init (anonymous, or token_of(i)); returns (sockets, refusals)."""
    sockets, refusals = [], []
    for i in range(count):
        ws = WsClient(url)
        try:
            ack = ws.init(token_of(i) if token_of else None)
        except WsClosed as closed:
            refusals.append(f"closed {closed.code} {closed.reason}".strip())
            ws.close()
            continue
        if ack.get("type") != "connection_ack":
            refusals.append(json.dumps(ack)[:200])
            ws.close()
            continue
        sockets.append(ws)
    return sockets, refusals


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return None


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def slow(args):
    import selectors
    from load import psql_json
    with open(args.state) as f:
        state = json.load(f)
    checks = Checks()
    lines = []
    url = args.url
    probe = Probe(url)
    probe.phase = "baseline"
    probe.thread.start()
    time.sleep(args.baseline)

    # (a) + (b) at once: generateText against a provider slower than LLM_TIMEOUT_SECONDS, and slowloris.
    probe.phase = "slow provider + slowloris"
    app = state["app"]["id"]
    llm_results = []

    def generate(i):
        user = state["users"][i]
        before = balance(url, user["token"])
        key = f"{state['run']}-slowllm-{i}"
        r = gql(url, GENERATE, {"input": {"appId": app, "action": "idea", "prompt": "Slow, please",
                                          "idempotencyKey": key}}, token=user["token"])
        code, ext = code_of(r)
        rows = psql_json(args.db_url, f"SELECT id FROM dust_transactions WHERE idempotency_key = '{key}'")
        llm_results.append({"user": i, "code": code or "ok", "http": r["status"], "latency": r["latency"],
                            "charged": (before or 0) - (balance(url, user["token"]) or 0), "ledger_rows": len(rows),
                            "message": ((r.get("body") or {}).get("errors") or [{}])[0].get("message")})

    loris = []
    threads = [threading.Thread(target=generate, args=(i,)) for i in range(args.llm_calls)]
    threads += [threading.Thread(target=slowloris_client, args=(url, "body", args.observe, loris))
                for _ in range(args.slowloris)]
    threads += [threading.Thread(target=slowloris_client, args=(url, "headers", args.observe, loris))
                for _ in range(args.slowloris_headers)]
    open_fds = fds(args.pid)
    for t in threads:
        t.start()
    time.sleep(1.5)
    fds_during = fds(args.pid)
    for t in threads:
        t.join()

    for r in llm_results:
        if r["code"] != "LLM_UNAVAILABLE":
            checks.fail("generateText against a provider slower than LLM_TIMEOUT_SECONDS did not answer "
                        "LLM_UNAVAILABLE", r)
        if r["charged"] != 0 or r["ledger_rows"]:
            checks.fail("generateText that timed out charged DUST", r)
        if r["latency"] > args.llm_timeout + 2:
            checks.fail(f"generateText took longer than LLM_TIMEOUT_SECONDS + 2 s ({args.llm_timeout + 2} s)", r)
    lines.append(f"(a) slow provider (answers after {args.provider_delay:.0f} s, LLM_TIMEOUT_SECONDS={args.llm_timeout:.0f}): "
                 + "; ".join(f"{r['code']} after {r['latency']:.1f} s (HTTP {r['http']}), charged {r['charged']}, "
                             f"ledger rows {r['ledger_rows']}" for r in llm_results))
    cut_limit = args.request_timeout + 2
    for kind in ("body", "headers"):
        rs = [r for r in loris if r["kind"] == kind]
        if not rs:
            continue
        summary = {}
        for r in rs:
            summary.setdefault(r["what"], []).append(r["after_s"])
        lines.append(f"(b) slowloris, {len(rs)} clients sending 1 byte/s of the {kind} "
                     f"(REQUEST_TIMEOUT_SECONDS={args.request_timeout:.0f}): "
                     + "; ".join(f"{len(v)}× {what} after {min(v):.1f}–{max(v):.1f} s" for what, v in summary.items()))
        for r in rs:
            cut = r["what"] and not r["what"].startswith("still open") and "still open" not in r["what"]
            if not cut or r["after_s"] > cut_limit:
                checks.fail(f"a slowloris client sending its {kind} at 1 byte/s was not cut within "
                            f"REQUEST_TIMEOUT_SECONDS + 2 s ({cut_limit:.0f} s)", r)
    lines.append(f"    server file descriptors: {open_fds} before, {fds_during} while they ran")

    # (c) 1 000 idle WebSockets.
    probe.phase = "opening sockets"
    rss_before = rss_mib(args.pid)
    fds_before = fds(args.pid)
    t_open = time.time()
    sockets, refusals = open_sockets(url, args.sockets)
    opened_in = time.time() - t_open
    probe.phase = f"{args.sockets} sockets open"
    time.sleep(1.0)
    rss_open = rss_mib(args.pid)
    fds_open = fds(args.pid)
    if refusals:
        checks.fail("anonymous WebSockets were refused", refusals[:3])
    # Per-user cap (WS_MAX_SOCKETS_PER_USER, 10 by default): one more than the cap for one user.
    user_sockets, user_refusals = open_sockets(url, args.per_user + 1, lambda i: state["users"][0]["token"])
    if len(user_sockets) != args.per_user or len(user_refusals) != 1:
        checks.fail(f"WS_MAX_SOCKETS_PER_USER={args.per_user}: expected {args.per_user} sockets for one user "
                    "and the next refused", {"open": len(user_sockets), "refused": user_refusals})
    for ws in user_sockets:
        ws.close()
    # Nothing more is sent: the idle timeout closes them (4408), between 1× and 2× WS_IDLE_TIMEOUT_SECONDS.
    selector = selectors.DefaultSelector()
    for ws in sockets:
        selector.register(ws.sock, selectors.EVENT_READ, ws)
    closes = {}
    close_times = []
    deadline = t_open + opened_in + 2 * args.ws_idle + 3
    pending = len(sockets)
    while pending and time.time() < deadline:
        for key, _ in selector.select(timeout=0.5):
            ws = key.data
            try:
                message = ws.recv(timeout=1)
                label = f"message {message.get('type')}"
            except WsClosed as closed:
                label = f"closed {closed.code}"
            except (socket.timeout, TimeoutError):
                continue
            selector.unregister(ws.sock)
            pending -= 1
            closes[label] = closes.get(label, 0) + 1
            close_times.append(time.time())
    idle_end = time.time()
    still_open = pending
    probe.phase = "after closing"
    for ws in sockets:
        ws.close()
    time.sleep(2.0)
    rss_after = rss_mib(args.pid)
    fds_after = fds(args.pid)
    # A second round, closed by the client this time: RSS that comes back to the first round's level
    # is memory the allocator kept and reuses; RSS that grows by as much again is a leak.
    probe.phase = "second round"
    again, _ = open_sockets(url, args.sockets)
    time.sleep(1.0)
    rss_open2 = rss_mib(args.pid)
    for ws in again:
        ws.close()
    time.sleep(2.0)
    rss_after2 = rss_mib(args.pid)
    fds_after2 = fds(args.pid)
    probe.stop.set()
    probe.thread.join()

    rss = {"before": rss_before, "open": rss_open, "after": rss_after, "open_again": rss_open2,
           "after_again": rss_after2}
    if max(rss.values()) > args.rss_bound:
        checks.fail(f"server RSS over {args.rss_bound:.0f} MiB with {args.sockets} idle WebSockets (MiB)",
                    {k: round(v, 1) for k, v in rss.items()})
    if rss_open2 > rss_open + args.leak_slack:
        checks.fail(f"server RSS grew by more than {args.leak_slack:.0f} MiB from the first round of sockets to "
                    "the second (a leak)", {k: round(v, 1) for k, v in rss.items()})
    if fds_after2 > fds_before + 5:
        checks.fail("the server kept file descriptors of closed sockets", {"before": fds_before, "after": fds_after2})
    if still_open:
        checks.fail(f"{still_open} idle WebSockets were still open 2 × WS_IDLE_TIMEOUT_SECONDS + 3 s after the "
                    "last one opened")
    if closes.get("closed 4408", 0) != len(sockets) - still_open:
        checks.fail("idle WebSockets ended otherwise than with close code 4408", closes)
    first_close = (min(close_times) - t_open - opened_in) if close_times else None
    lines.append(f"(c) {len(sockets)} anonymous idle WebSockets opened in {opened_in:.1f} s "
                 f"({len(refusals)} refused); one user: {len(user_sockets)} open, the "
                 f"{args.per_user + 1}th {user_refusals[0] if user_refusals else 'accepted'}")
    lines.append(f"    server RSS: {rss_before:.1f} MiB before, {rss_open:.1f} MiB with them open "
                 f"(+{(rss_open - rss_before) * 1024 / max(1, len(sockets)):.0f} KiB a socket), {rss_after:.1f} MiB "
                 f"2 s after they closed (bound {args.rss_bound:.0f} MiB); file descriptors {fds_before} → "
                 f"{fds_open} → {fds_after}")
    lines.append(f"    a second round of {len(again)}, closed by the client: RSS {rss_open2:.1f} MiB open, "
                 f"{rss_after2:.1f} MiB 2 s after; file descriptors {fds_after2}")
    if close_times:
        lines.append(f"    WS_IDLE_TIMEOUT_SECONDS={args.ws_idle:.0f}: {json.dumps(closes)}; the server closed them "
                     f"{min(close_times) - t_open:.1f}–{max(close_times) - t_open:.1f} s after the first opened "
                     f"(opening took {opened_in:.1f} s); {still_open} still open at {idle_end - t_open:.1f} s")

    # The probe.
    base = [s[2] for s in probe.of("baseline") if s[3]]
    base_p99 = percentile(base, 99)
    limit = max(args.probe_factor * base_p99, args.probe_floor)
    lines.append(f"probe `{{ version }}` every 0.1 s; limit p99 ≤ max({args.probe_factor:.0f} × baseline p99, "
                 f"{args.probe_floor * 1000:.0f} ms) = {limit * 1000:.0f} ms:")
    for phase in ["baseline", "slow provider + slowloris", "opening sockets", f"{args.sockets} sockets open",
                  "after closing", "second round"]:
        samples = probe.of(phase)
        ok = [s[2] for s in samples if s[3]]
        failed = [s for s in samples if not s[3]]
        lines.append(f"    {phase:<28} {len(samples):>4} probes, p50 {percentile(ok, 50) * 1000:6.1f} ms, p99 "
                     f"{percentile(ok, 99) * 1000:6.1f} ms, max {max(ok, default=0) * 1000:6.1f} ms, failed {len(failed)}")
        if failed:
            checks.fail(f"the probe failed during '{phase}'", [(s[4], round(s[2], 2)) for s in failed[:3]])
        if phase != "baseline" and ok and percentile(ok, 99) > limit:
            checks.fail(f"probe p99 during '{phase}' worse than the limit ({limit * 1000:.0f} ms)",
                        {"p99_ms": round(percentile(ok, 99) * 1000, 1), "baseline_p99_ms": round(base_p99 * 1000, 1)})

    print()
    print("==> slow clients and slow providers (one server on PostgreSQL + Redis)")
    for line in lines:
        print(line)
    checks.finish()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("replicas")
    p.add_argument("--proxy-port", type=int, required=True)
    p.add_argument("--proxy-log", required=True)
    p.add_argument("--ports", required=True)
    p.add_argument("--logs", nargs="+", required=True)
    p.add_argument("--state", required=True)
    p.add_argument("--write-limit", type=int, default=4)
    p = sub.add_parser("slow")
    p.add_argument("--url", required=True)
    p.add_argument("--state", required=True)
    p.add_argument("--db-url", required=True)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--baseline", type=float, default=3.0)
    p.add_argument("--llm-calls", type=int, default=2)
    p.add_argument("--llm-timeout", type=float, required=True)
    p.add_argument("--provider-delay", type=float, required=True)
    p.add_argument("--request-timeout", type=float, required=True)
    p.add_argument("--slowloris", type=int, default=6, help="clients sending the body at 1 byte/s")
    p.add_argument("--slowloris-headers", type=int, default=2, help="clients sending the headers at 1 byte/s")
    p.add_argument("--observe", type=float, default=10.0, help="how long a slowloris client keeps going")
    p.add_argument("--sockets", type=int, default=1000)
    p.add_argument("--per-user", type=int, default=10)
    p.add_argument("--ws-idle", type=float, required=True)
    p.add_argument("--rss-bound", type=float, default=150.0, help="MiB")
    p.add_argument("--leak-slack", type=float, default=20.0, help="MiB")
    p.add_argument("--probe-factor", type=float, default=10.0)
    p.add_argument("--probe-floor", type=float, default=0.1, help="s")
    args = parser.parse_args()
    {"replicas": replicas, "slow": slow}[args.command](args)


if __name__ == "__main__":
    main()
