#!/usr/bin/env python3
"""GraphQL side of the fault-injection scripts (bench/faults/kill9.sh, bench/faults/pg_restart.sh; its
helpers are shared with bench/faults/drills.py, which runs replicas.sh and slow.sh).

Standard library only. Subcommands:

  mock-llm  --port-file F             a loopback Anthropic/OpenAI stand-in (answers after 50-400 ms;
                                      --min-delay/--max-delay for a slow provider)
  proxy     --backends P1,P2 ...      a round-robin TCP proxy: one address in front of two replicas
  setup     --url --log --state ...   signs in an admin and N users (codes from the server log), grants
                                      them DUST, creates an approved app with priced actions and, with
                                      --llm, a model configuration pointing at the mock provider
  run       --url --state --out ...   the load: workers send consumeDust / generateText / grantDustBulk,
                                      each request with its own idempotency key (a grant with its own
                                      reason), and record every outcome; a poller records /health/ready
  verify    --url --state --outcomes  the checks against the ledger (psql) and the API, a summary, and
            --events --db-url         exit status 1 on any violation

An outcome is one of
  ok       an answer with data;
  error    a definite GraphQL error (its extensions.code);
  refused  the connection was refused: the request never reached a server;
  unknown  no answer: the connection was cut or timed out after the request was sent, or an HTTP error
           without a GraphQL body (the request-timeout 503).
"""

import argparse
import base64
import hashlib
import http.client
import json
import os
import random
import re
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REQUEST_TIMEOUT = float(os.environ.get("FAULT_REQUEST_TIMEOUT", "20"))
HOLD_TTL_SECONDS = 600  # schema/src/ledger/holds.rs HOLD_TTL, a constant (no setting shortens it)
IN_PROGRESS_TTL_SECONDS = 180  # schema/src/llm/in_progress.rs IN_PROGRESS_TTL

CONSUME = ("mutation C($input: ConsumeDustInput!) { consumeDust(input: $input) "
           "{ id amount balanceAfter replayed } }")
GENERATE = ("mutation G($input: GenerateTextInput!) { generateText(input: $input) "
            "{ text model dustCharged transaction { id amount balanceAfter replayed } } }")
GRANT_BULK = ("mutation B($ids: [ID!]!, $amount: Int!, $reason: String!) { grantDustBulk(userIds: $ids, "
              "amount: $amount, reason: $reason) { userId granted error transaction { id amount balanceAfter } } }")

APP_ACTION_CONSUME = ("spend", 1)
APP_ACTION_GENERATE = ("idea", 2)
MODEL = "claude-3-5-haiku-20241022"


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---- HTTP --------------------------------------------------------------------------------------------

def http_call(url, method="POST", path="/graphql", body=None, token=None, timeout=REQUEST_TIMEOUT,
              headers=None):
    """One request on a fresh connection. Returns a dict: status (HTTP status or None), body (parsed JSON
    or None), transport ('refused', 'cut', 'timeout' or None), latency (s), t0, t1."""
    host, port = url.split("//", 1)[1].split(":")
    port = int(port.rstrip("/"))
    t0 = time.time()
    result = {"status": None, "body": None, "transport": None, "t0": t0}
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        try:
            conn.connect()
        except ConnectionRefusedError:
            result["transport"] = "refused"
            return result
        except (socket.timeout, TimeoutError):
            result["transport"] = "refused"  # never connected: nothing was sent
            return result
        send_headers = {"content-type": "application/json"}
        if token:
            send_headers["authorization"] = f"Bearer {token}"
        send_headers.update(headers or {})
        data = json.dumps(body).encode() if body is not None else None
        try:
            conn.request(method, path, body=data, headers=send_headers)
            response = conn.getresponse()
            raw = response.read()
        except (socket.timeout, TimeoutError):
            result["transport"] = "timeout"
            return result
        except (ConnectionError, http.client.HTTPException, OSError) as error:
            result["transport"] = "cut"
            result["detail"] = type(error).__name__
            return result
        result["status"] = response.status
        try:
            result["body"] = json.loads(raw)
        except ValueError:
            result["body"] = None
            result["raw"] = raw[:200].decode(errors="replace")
        return result
    finally:
        conn.close()
        result["t1"] = time.time()
        result["latency"] = result["t1"] - t0


def gql(url, query, variables=None, token=None, timeout=REQUEST_TIMEOUT, headers=None):
    return http_call(url, body={"query": query, "variables": variables or {}}, token=token, timeout=timeout,
                     headers=headers)


def classify(response, field):
    """(outcome, code, data) of a GraphQL mutation answer; see the module docstring."""
    if response["transport"] == "refused":
        return "refused", None, None
    if response["transport"]:
        return "unknown", response["transport"], None
    body = response["body"]
    if isinstance(body, dict) and "errors" in body and body["errors"]:
        error = body["errors"][0]
        code = (error.get("extensions") or {}).get("code") or "NO_CODE"
        return "error", code, {"message": error.get("message"), "extensions": error.get("extensions"),
                               "http": response["status"]}
    if isinstance(body, dict) and isinstance(body.get("data"), dict) and body["data"].get(field) is not None:
        return "ok", None, body["data"][field]
    return "unknown", f"http_{response['status']}", {"body": body, "raw": response.get("raw")}


def must(response, field):
    outcome, code, data = classify(response, field)
    if outcome != "ok":
        raise SystemExit(f"{field}: {outcome} {code} {json.dumps(data)[:500]}")
    return data


# ---- the mock LLM provider ---------------------------------------------------------------------------

def mock_llm(args):
    calls = {"n": 0}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_):
            pass

        def do_POST(self):
            length = int(self.headers.get("content-length") or 0)
            try:
                request = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                request = {}
            with lock:
                calls["n"] += 1
            time.sleep(random.uniform(args.min_delay, args.max_delay))
            model = request.get("model", "unknown")
            text = f"mock answer {uuid.uuid4().hex[:12]}"
            if self.path == "/v1/messages":
                answer = {"id": "msg_fault", "type": "message", "role": "assistant", "model": model,
                          "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
                          "usage": {"input_tokens": 12, "output_tokens": 8}}
            elif self.path == "/v1/chat/completions":
                answer = {"id": "chatcmpl-fault", "object": "chat.completion", "model": model,
                          "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                       "finish_reason": "stop"}],
                          "usage": {"prompt_tokens": 12, "completion_tokens": 8, "total_tokens": 20}}
            else:
                self.send_response(404)
                self.send_header("content-length", "0")
                self.end_headers()
                return
            payload = json.dumps(answer).encode()
            try:
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the server that asked was killed meanwhile

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


# ---- a minimal graphql-transport-ws client (RFC 6455 framing, client side) --------------------------

class WsClosed(Exception):
    """The server closed the socket (code, or None when the connection just ended)."""

    def __init__(self, code, reason=""):
        super().__init__(f"closed {code} {reason}".strip())
        self.code = code
        self.reason = reason


class WsClient:
    """One WebSocket to /graphql/ws speaking graphql-transport-ws. Standard library only: the opening
    handshake, masked client frames, unfragmented server frames (the server sends no fragments), pings
    answered."""

    def __init__(self, url, path="/graphql/ws", timeout=10.0):
        host, port = url.split("//", 1)[1].rstrip("/").split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                           "Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n").encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise WsClosed(None, "the handshake was cut")
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode(errors="replace").split("\r\n")
        if " 101 " not in lines[0] + " ":
            raise WsClosed(None, f"handshake answered {lines[0]}")
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode())
                                  .digest()).decode()
        if headers.get("sec-websocket-accept") != accept:
            raise WsClosed(None, "bad Sec-WebSocket-Accept")
        self.local_port = self.sock.getsockname()[1]

    def _send_frame(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def send(self, message):
        self._send_frame(0x1, json.dumps(message).encode())

    def _read(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise WsClosed(None, "the connection ended")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def recv(self, timeout=5.0):
        """The next JSON message; raises WsClosed on a close frame, socket.timeout after `timeout`."""
        self.sock.settimeout(timeout)
        while True:
            b0, b1 = self._read(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            if b1 & 0x80:
                mask = self._read(4)
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(self._read(n)))
            else:
                payload = self._read(n)
            if opcode == 0x8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                raise WsClosed(code, payload[2:].decode(errors="replace"))
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode in (0x1, 0x2):
                return json.loads(payload)

    def init(self, token=None, timeout=5.0):
        """connection_init (with the token when given); returns the server's answer (connection_ack)."""
        self.send({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"} if token else {}})
        return self.recv(timeout)

    def subscribe(self, op_id, query, variables=None):
        self.send({"id": op_id, "type": "subscribe", "payload": {"query": query, "variables": variables or {}}})

    def close(self, code=1000):
        try:
            self._send_frame(0x8, struct.pack("!H", code))
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass


# ---- a round-robin TCP proxy (two replicas behind one address) ---------------------------------------

def tcp_proxy(args):
    """Accepts on a free port and hands each connection, in turn, to the next backend; logs
    `<n> <client port> <backend port>` per connection, flushed before the bytes flow."""
    backends = [("127.0.0.1", int(p)) for p in args.backends.split(",")]
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    out = open(args.log, "a", buffering=1)

    def pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock, how in ((dst, socket.SHUT_WR), (src, socket.SHUT_RD)):
                try:
                    sock.shutdown(how)
                except OSError:
                    pass

    def serve(client, backend):
        try:
            upstream = socket.create_connection(backend, timeout=5)
            upstream.settimeout(None)
        except OSError:
            client.close()
            return
        there = threading.Thread(target=pump, args=(client, upstream), daemon=True)
        there.start()
        pump(upstream, client)
        there.join()
        client.close()
        upstream.close()

    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(listener.getsockname()[1]))
    os.replace(args.port_file + ".tmp", args.port_file)
    n = 0
    while True:
        client, address = listener.accept()
        backend = backends[n % len(backends)]
        n += 1
        out.write(f"{n} {address[1]} {backend[1]}\n")
        threading.Thread(target=serve, args=(client, backend), daemon=True).start()


# ---- set-up ------------------------------------------------------------------------------------------

def log_offsets(log_paths):
    """Sizes of the server logs now (one path or a list: with replicas, a code is in the log of the replica
    that sent it)."""
    paths = [log_paths] if isinstance(log_paths, str) else list(log_paths)
    return {path: os.path.getsize(path) for path in paths}


def otp_code(log_paths, email, after_offsets, timeout=15):
    """The newest sign-in code for `email` written to one of the logs after `after_offsets` (from
    log_offsets; a single offset for a single path)."""
    pattern = re.compile(r"identifier=" + re.escape(email) + r" code=(\d{6})")
    if isinstance(log_paths, str):
        log_paths = [log_paths]
    if not isinstance(after_offsets, dict):
        after_offsets = {log_paths[0]: after_offsets}
    deadline = time.time() + timeout
    while time.time() < deadline:
        for path in log_paths:
            with open(path, errors="replace") as f:
                f.seek(after_offsets.get(path, 0))
                found = pattern.findall(f.read())
            if found:
                return found[-1]
        time.sleep(0.1)
    raise SystemExit(f"no sign-in code for {email} in {', '.join(log_paths)}")


def sign_in(url, log_paths, email, index):
    # Each sign-in from its own documentation address (TRUSTED_PROXIES=127.0.0.1 on the server), so the
    # per-IP throttle of code requests (20 an hour) does not cap the number of users.
    headers = {"x-forwarded-for": f"198.18.{index // 250}.{index % 250 + 1}"}
    offsets = log_offsets(log_paths)
    must(gql(url, "mutation R($e: String!) { requestOtp(input: {email: $e}) { sentTo } }", {"e": email},
             headers=headers), "requestOtp")
    code = otp_code(list(offsets), email, offsets)
    auth = must(gql(url, "mutation V($e: String!, $c: String!) { verifyOtp(input: {email: $e, code: $c}) "
                         "{ accessToken user { id } } }", {"e": email, "c": code}, headers=headers), "verifyOtp")
    return {"email": email, "token": auth["accessToken"], "id": auth["user"]["id"]}


def setup(args):
    url = args.url
    admin = sign_in(url, args.log, args.admin, 0)
    users = [sign_in(url, args.log, f"{args.run}-user{i}@example.com".lower(), i + 1) for i in range(args.users)]
    token = admin["token"]
    # The admin is the app's builder too.
    must(gql(url, "mutation { becomeBuilder { id } }", token=token), "becomeBuilder")
    app = must(gql(url, "mutation A($n: String!) { createApp(input: {name: $n, description: \"Fault drill\", "
                        "category: UTILITIES}) { id slug status } }", {"n": f"Fault {args.run}"[:100]}, token=token),
               "createApp")
    if app["status"] != "APPROVED":
        must(gql(url, "mutation P($id: ID!) { approveApp(id: $id) { id } }", {"id": app["id"]}, token=token),
             "approveApp")
    for action, cost in (APP_ACTION_CONSUME, APP_ACTION_GENERATE):
        must(gql(url, "mutation S($id: ID!, $a: String!, $c: Int!) { setAppAction(appId: $id, action: $a, "
                      "dustCost: $c) { dustCost } }", {"id": app["id"], "a": action, "c": cost}, token=token),
             "setAppAction")
    if args.llm:
        config = {"provider": "ANTHROPIC", "model": MODEL,
                  "parameters": {"temperature": 0.7, "maxTokens": 150, "topP": 1},
                  "fallbacks": [], "costLimits": {"perRequestMax": "0.05", "dailyMax": "50", "monthlyMax": "500"}}
        must(gql(url, "mutation M($id: ID!, $input: AppModelConfigInput!) { setAppModelConfig(appId: $id, "
                      "input: $input) { model } }", {"id": app["id"], "input": config}, token=token),
             "setAppModelConfig")
    # Plenty of DUST, so the load is about faults rather than INSUFFICIENT_DUST.
    granted = must(gql(url, GRANT_BULK, {"ids": [u["id"] for u in users], "amount": 50000,
                                         "reason": f"{args.run} starting balance"}, token=token), "grantDustBulk")
    if not all(g["granted"] for g in granted):
        raise SystemExit(f"the starting grant failed: {granted}")
    state = {"run": args.run, "admin": admin, "users": users, "app": app, "llm": args.llm}
    with open(args.state, "w") as f:
        json.dump(state, f)
    log(f"signed in an admin and {len(users)} users; app {app['slug']} ({app['status']})"
        + ("; model config on the mock provider" if args.llm else ""))


# ---- load --------------------------------------------------------------------------------------------

def request_of(kind, state, key, rng):
    """(query, variables, field, user index or None) of one request of `kind` under `key`."""
    app = state["app"]["id"]
    if kind == "consume":
        user = rng.randrange(len(state["users"]))
        return CONSUME, {"input": {"appId": app, "action": APP_ACTION_CONSUME[0], "quantity": rng.randint(1, 3),
                                   "idempotencyKey": key}}, "consumeDust", user
    if kind == "generate":
        user = rng.randrange(len(state["users"]))
        return GENERATE, {"input": {"appId": app, "action": APP_ACTION_GENERATE[0], "system": "Be brief.",
                                    "prompt": f"An idea for {key}", "idempotencyKey": key}}, "generateText", user
    ids = [u["id"] for u in rng.sample(state["users"], rng.randint(1, len(state["users"])))]
    return GRANT_BULK, {"ids": ids, "amount": rng.randint(1, 5), "reason": key}, "grantDustBulk", None


def send(url, state, record):
    token = state["admin"]["token"] if record["user"] is None else state["users"][record["user"]]["token"]
    response = gql(url, record["query"], record["variables"], token=token)
    outcome, code, data = classify(response, record["field"])
    return {"outcome": outcome, "code": code, "data": data, "t0": response["t0"], "t1": response["t1"],
            "latency": response["latency"], "http": response["status"]}


def run(args):
    with open(args.state) as f:
        state = json.load(f)
    kinds = args.kinds.split(",")
    roles = [kinds[i % len(kinds)] for i in range(args.workers)]
    deadline = time.time() + args.seconds
    records, health = [], []
    lock = threading.Lock()

    def worker(index, kind):
        rng = random.Random(f"{state['run']}-{index}")
        seq = 0
        while time.time() < deadline:
            seq += 1
            key = f"{state['run']}-{kind[:3]}-{index}-{seq}"
            query, variables, field, user = request_of(kind, state, key, rng)
            record = {"kind": kind, "key": key, "query": query, "variables": variables, "field": field,
                      "user": user}
            record.update(send(args.url, state, record))
            with lock:
                records.append(record)
            if record["outcome"] != "ok":
                time.sleep(0.05)  # no busy loop while the server or its database is away

    def health_poller():
        in_flight = threading.Semaphore(6)

        def probe():
            try:
                response = http_call(args.url, method="GET", path="/health/ready", timeout=REQUEST_TIMEOUT)
                with lock:
                    health.append({"t0": response["t0"], "latency": response["latency"],
                                   "status": response["status"], "transport": response["transport"]})
            finally:
                in_flight.release()

        while time.time() < deadline:
            if in_flight.acquire(blocking=False):
                threading.Thread(target=probe, daemon=True).start()
            time.sleep(0.25)

    threads = [threading.Thread(target=worker, args=(i, kind)) for i, kind in enumerate(roles)]
    threads.append(threading.Thread(target=health_poller))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    time.sleep(0.5)
    with lock:
        out = {"records": records, "health": sorted(health, key=lambda h: h["t0"])}
    with open(args.out, "w") as f:
        json.dump(out, f)
    by_kind = {}
    for record in records:
        by_kind.setdefault(record["kind"], []).append(record)
    log("load done: " + ", ".join(f"{kind} {len(rs)}" for kind, rs in sorted(by_kind.items())))


# ---- checks ------------------------------------------------------------------------------------------

def psql_json(db_url, sql):
    """Rows of `sql` as a list of dicts (psql, one JSON document)."""
    wrapped = f"SELECT COALESCE(json_agg(q), '[]'::json) FROM ({sql}) q"
    out = subprocess.run(["psql", db_url, "-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", wrapped],
                         check=True, capture_output=True, text=True, timeout=120).stdout
    return json.loads(out)


def ledger_rows(db_url, run_id):
    """Rows under this run's idempotency keys, and this run's grants (reason = key)."""
    keyed = psql_json(db_url, "SELECT id::text, user_id::text, idempotency_key, amount, balance_after, type "
                              f"FROM dust_transactions WHERE idempotency_key LIKE '{run_id}-%'")
    grants = psql_json(db_url, "SELECT id::text, user_id::text, description, amount, balance_after "
                               f"FROM dust_transactions WHERE type = 'grant' AND description LIKE '{run_id}-gra-%'")
    return keyed, grants


def percentile(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class Checks:
    def __init__(self):
        self.violations = []
        self.notes = []

    def fail(self, what, example=None):
        self.violations.append((what, example))

    def summary_lines(self):
        grouped = {}
        for what, example in self.violations:
            grouped.setdefault(what, []).append(example)
        lines = []
        for what, examples in grouped.items():
            lines.append(f"VIOLATION ×{len(examples)}: {what}")
            for example in examples[:3]:
                if example is not None:
                    lines.append(f"    e.g. {json.dumps(example, default=str)[:600]}")
        return lines

    def finish(self):
        """Prints the violations and the result; exits 1 when any rule broke."""
        if self.violations:
            print()
            for line in self.summary_lines():
                print(line)
            print(f"RESULT: FAIL ({len(self.violations)} violations)")
            sys.exit(1)
        print("RESULT: PASS")


def rows_by_key(checks, keyed, when=""):
    """The ledger rows by (user, idempotency key); a key posted twice for one user is a violation."""
    by_key = {}
    for row in keyed:
        k = (row["user_id"], row["idempotency_key"])
        if k in by_key:
            checks.fail(f"an idempotency key posted twice for one user{when}", row)
        by_key[k] = row
    return by_key


def check_ledger_against_outcomes(checks, records, keyed, grants, users):
    """Successes are in the ledger once with the id the client saw; definite failures and refused
    requests are not; unknown grants are all or nothing. Returns {(user_id, key): row}."""
    by_key = rows_by_key(checks, keyed)
    grants_by_reason = {}
    for row in grants:
        grants_by_reason.setdefault(row["description"], []).append(row)
    for rows in grants_by_reason.values():
        seen = set()
        for row in rows:
            if row["user_id"] in seen:
                checks.fail("a bulk grant posted twice to one user", row)
            seen.add(row["user_id"])

    for record in records:
        outcome = record["outcome"]
        if record["kind"] == "grant":
            rows = grants_by_reason.get(record["key"], [])
            record["in_ledger"] = bool(rows)
            asked = set(record["variables"]["ids"])
            if outcome == "ok":
                granted = {r["userId"]: r for r in record["data"] if r["granted"]}
                if set(granted) != asked:
                    checks.fail("a bulk grant to existing users was not granted to each", record["data"])
                ledger = {r["user_id"]: r for r in rows}
                if set(ledger) != set(granted) or any(ledger[u]["id"] != g["transaction"]["id"]
                                                      for u, g in granted.items() if u in ledger):
                    checks.fail("a bulk grant the client saw succeed is not in the ledger as answered",
                                {"key": record["key"], "answered": len(granted), "ledger": len(rows)})
            elif outcome in ("error", "refused"):
                if rows:
                    checks.fail(f"a bulk grant that {'failed' if outcome == 'error' else 'was refused'} "
                                "is in the ledger", {"key": record["key"], "code": record["code"], "rows": len(rows)})
            elif rows and {r["user_id"] for r in rows} != asked:
                checks.fail("a bulk grant with no answer is in the ledger for some of its users only",
                            {"key": record["key"], "asked": len(asked), "ledger": len(rows)})
            continue
        user_id = users[record["user"]]["id"]
        row = by_key.get((user_id, record["key"]))
        record["in_ledger"] = row is not None
        record["ledger_id"] = row["id"] if row else None
        if outcome == "ok":
            tx = record["data"] if record["kind"] == "consume" else record["data"]["transaction"]
            if row is None:
                checks.fail(f"a {record['kind']} the client saw succeed is not in the ledger",
                            {"key": record["key"], "answer": tx})
            elif row["id"] != tx["id"] or row["amount"] != tx["amount"] or row["balance_after"] != tx["balanceAfter"]:
                checks.fail(f"a {record['kind']} success differs from its ledger row", {"answer": tx, "row": row})
            if tx.get("replayed"):
                checks.fail(f"a first {record['kind']} request answered replayed: true", record["key"])
        elif outcome in ("error", "refused") and row is not None:
            checks.fail(f"a {record['kind']} the client saw {'fail' if outcome == 'error' else 'refused'} "
                        "is in the ledger", {"key": record["key"], "code": record["code"], "row": row})
    return by_key


def redis_mark_ttl(prefix, user_id, key):
    """TTL (s) of the generation's "in progress" mark in Redis, or None when there is none."""
    host = os.environ.get("REDIS_HOST", "127.0.0.1")
    port = os.environ.get("REDIS_PORT", "6379")
    try:
        out = subprocess.run(["redis-cli", "-h", host, "-p", port, "ttl",
                              f"{prefix}llm-in-progress:{user_id}:{key}"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
        ttl = int(out)
    except (ValueError, subprocess.SubprocessError, OSError):
        return None
    return ttl if ttl >= 0 else None


def retry_all(checks, url, state, records, by_key, workers, redis_prefix):
    """Sends every keyed request again (same input, same key) and checks the answer against the first
    answer and the ledger. Returns counts of how the requests without an answer were resolved."""
    todo = [r for r in records if r["kind"] != "grant"]
    resolved = {}
    lock = threading.Lock()

    def one(record):
        again = send(url, state, record)
        record["retry"] = again
        kind, key = record["kind"], record["key"]
        first = record["outcome"]
        tx = None
        if again["outcome"] == "ok":
            tx = again["data"] if kind == "consume" else again["data"]["transaction"]
        if again["outcome"] in ("unknown", "refused"):
            checks.fail("a retry after the fault got no answer", {"key": key, "retry": again["code"]})
            return
        if again["outcome"] == "error" and again["code"] in ("INTERNAL", "NO_CODE"):
            checks.fail("a retry answered INTERNAL or an error without a code", {"key": key, "retry": again["data"]})
        if first == "ok":
            before = record["data"] if kind == "consume" else record["data"]["transaction"]
            if tx is None:
                checks.fail(f"a retry of a successful {kind} did not answer its first result",
                            {"key": key, "retry": again["code"], "detail": again["data"]})
            elif not (tx["replayed"] and tx["id"] == before["id"] and tx["amount"] == before["amount"]
                      and tx["balanceAfter"] == before["balanceAfter"]):
                checks.fail(f"a retry of a successful {kind} answered a different result",
                            {"first": before, "retry": tx})
            elif kind == "generate" and again["data"]["text"] != record["data"]["text"]:
                checks.fail("a retried generateText answered another text (the model was called again?)",
                            {"first": record["data"]["text"], "retry": again["data"]["text"]})
            how = "replayed"
        elif record["in_ledger"]:
            # Only a request without an answer may be in the ledger: its retry must replay that row.
            if tx is None or not tx["replayed"] or tx["id"] != record["ledger_id"]:
                checks.fail(f"a retry of a {kind} that is in the ledger did not replay it",
                            {"key": key, "ledger_id": record["ledger_id"], "retry": again["code"] or tx})
            how = "was committed: replayed"
        else:
            if tx is not None and tx["replayed"]:
                checks.fail(f"a retry of a {kind} that is not in the ledger answered replayed: true",
                            {"key": key, "retry": tx})
            if tx is not None:
                how = "was not committed: charged now"
            elif kind == "generate" and again["code"] == "CONFLICT":
                ttl = redis_mark_ttl(redis_prefix, state["users"][record["user"]]["id"], key) if redis_prefix else None
                if redis_prefix and (ttl is None or ttl > IN_PROGRESS_TTL_SECONDS):
                    checks.fail("a retried generateText answered CONFLICT without a lapsing in-progress mark",
                                {"key": key, "mark_ttl": ttl})
                how = "was not committed: CONFLICT, the killed call's in-progress mark (lapses ≤ 180 s)"
            else:
                how = f"was not committed: {again['code']}"
        with lock:
            resolved.setdefault((kind, first, how), 0)
            resolved[(kind, first, how)] += 1

    queue = list(todo)
    qlock = threading.Lock()

    def worker():
        while True:
            with qlock:
                if not queue:
                    return
                record = queue.pop()
            one(record)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return resolved


def check_after_retries(checks, records, keyed, users):
    by_key = rows_by_key(checks, keyed, " (after the retries)")
    for record in records:
        if record["kind"] == "grant" or "retry" not in record:
            continue
        row = by_key.get((users[record["user"]]["id"], record["key"]))
        again = record["retry"]
        if again["outcome"] == "ok":
            tx = again["data"] if record["kind"] == "consume" else again["data"]["transaction"]
            if row is None or row["id"] != tx["id"]:
                checks.fail("a successful retry is not in the ledger as answered", {"key": record["key"], "retry": tx})
        elif again["outcome"] == "error" and row is not None and not record["in_ledger"]:
            checks.fail("a retry that failed is in the ledger", {"key": record["key"], "code": again["code"]})


def ledger_audit(url, token):
    """Every discrepancy ledgerAudit reports, walking its chunks (`ledgerAudit(after, users)` answers
    one chunk of users); servers from before the chunks answer a plain list. A dict when it failed."""
    chunked = ("query A($after: ID) { ledgerAudit(after: $after) { discrepancies { userId balance "
               "transactionSum } nextAfter } }")
    found, after = [], None
    for _ in range(10000):
        outcome, code, data = classify(gql(url, chunked, {"after": after}, token=token), "ledgerAudit")
        if outcome == "error" and "LedgerAuditChunk" not in json.dumps(data) and after is None:
            outcome, code, data = classify(gql(url, "{ ledgerAudit { userId balance transactionSum } }",
                                               token=token), "ledgerAudit")
            return data if outcome == "ok" else {"outcome": outcome, "code": code, "data": data}
        if outcome != "ok":
            return {"outcome": outcome, "code": code, "data": data}
        found += data["discrepancies"]
        after = data["nextAfter"]
        if after is None:
            return found
    return {"outcome": "ledgerAudit never reached its last chunk"}


def audit(checks, url, state, db_url):
    api = ledger_audit(url, state["admin"]["token"])
    if not isinstance(api, list):
        checks.fail("ledgerAudit did not answer", api)
        api = None
    elif api:
        checks.fail("ledgerAudit is not empty", api)
    sql = psql_json(db_url, "SELECT u.id::text, u.dust_balance, COALESCE(SUM(t.amount), 0)::bigint AS sum "
                            "FROM users u LEFT JOIN dust_transactions t ON t.user_id = u.id "
                            "GROUP BY u.id, u.dust_balance HAVING u.dust_balance <> COALESCE(SUM(t.amount), 0)")
    for row in sql:
        checks.fail("Σ amount of a user's transactions ≠ users.dust_balance (SQL)", row)
    users = psql_json(db_url, "SELECT count(*) AS n, COALESCE(SUM(dust_balance), 0)::bigint AS dust FROM users")[0]
    return api, sql, users


def check_holds(checks, db_url, fault_times, settle_seconds=3.0):
    """No hold counts for ever: each lapses HOLD_TTL after it was made; none made by a live server
    (after the last restart) is left once every request has ended. Returns a description."""
    time.sleep(settle_seconds)  # a cancelled request releases its hold in the background
    holds = psql_json(db_url, "SELECT id::text, user_id::text, amount, "
                              "extract(epoch FROM created_at)::float8 AS created, "
                              "extract(epoch FROM expires_at)::float8 AS expires, "
                              "expires_at > now() AS live FROM dust_holds")
    live = [h for h in holds if h["live"]]
    for hold in holds:
        if hold["expires"] - hold["created"] > HOLD_TTL_SECONDS + 1:
            checks.fail("a DUST hold counts for longer than HOLD_TTL (10 min)", hold)
    last_restart = max(fault_times) if fault_times else None
    for hold in live:
        if last_restart is None or hold["created"] > last_restart:
            checks.fail("a DUST hold of a request that ended is still reserved", hold)
    if not live:
        return "no hold left"
    lapse = max(h["expires"] for h in live)
    return (f"{len(live)} live hold(s) of killed calls, {sum(h['amount'] for h in live)} DUST, all lapse by "
            f"{time.strftime('%H:%M:%S', time.localtime(lapse))} (≤ 10 min after they were made; HOLD_TTL is a "
            "constant, no setting shortens it)")


def read_events(path):
    events = []
    with open(path) as f:
        for line in f:
            name, at = line.split()
            events.append((name, float(at)))
    return events


def outcome_table(records):
    lines = []
    for kind in ("consume", "generate", "grant"):
        rs = [r for r in records if r["kind"] == kind]
        if not rs:
            continue
        count = lambda o: sum(1 for r in rs if r["outcome"] == o)  # noqa: E731
        codes = {}
        for r in rs:
            if r["outcome"] == "error":
                codes[r["code"]] = codes.get(r["code"], 0) + 1
        unknown_committed = sum(1 for r in rs if r["outcome"] == "unknown" and r.get("in_ledger"))
        lines.append(f"  {kind:<9} {len(rs):>6} requests: ok {count('ok')}, failed {count('error')}"
                     f"{' ' + json.dumps(codes) if codes else ''}, unknown {count('unknown')} "
                     f"({unknown_committed} of them committed), refused {count('refused')}")
    return lines


def verify(args):
    with open(args.state) as f:
        state = json.load(f)
    with open(args.outcomes) as f:
        loaded = json.load(f)
    records, health = loaded["records"], loaded["health"]
    events = read_events(args.events)
    users = state["users"]
    checks = Checks()
    report = []

    # The server must answer every kind of request, not only fail.
    for kind in set(r["kind"] for r in records):
        if not any(r["outcome"] == "ok" for r in records if r["kind"] == kind):
            checks.fail(f"no {kind} request succeeded at all")
    for record in records:
        if record["outcome"] == "error" and record["code"] in ("INTERNAL", "NO_CODE"):
            checks.fail("an answer was INTERNAL or an error without a code",
                        {"key": record["key"], "data": record["data"]})
        if record["http"] is not None and record["http"] >= 500 and record["outcome"] != "error":
            checks.fail(f"an HTTP {record['http']} without a GraphQL error", {"key": record["key"]})
        if record["http"] == 500:
            checks.fail("an HTTP 500", {"key": record["key"], "data": record["data"]})

    keyed, grants = ledger_rows(args.db_url, state["run"])
    by_key = check_ledger_against_outcomes(checks, records, keyed, grants, users)
    duplicates = len(keyed) - len(by_key)

    if args.mode == "pg":
        report += check_outage(checks, records, health, events, args)
    else:
        report += check_crash(records, health, events)

    resolved = retry_all(checks, args.url, state, records, by_key, args.workers, args.redis_prefix)
    keyed_after, _ = ledger_rows(args.db_url, state["run"])
    check_after_retries(checks, records, keyed_after, users)
    duplicates += len(keyed_after) - len({(r["user_id"], r["idempotency_key"]) for r in keyed_after})
    api_audit, sql_audit, totals = audit(checks, args.url, state, args.db_url)
    restarts = [at for name, at in events if name in ("ready", "pg_started")]
    holds = check_holds(checks, args.db_url, restarts)

    print()
    print(f"==> {args.title}")
    print("requests during the load (outcome as the client saw it):")
    for line in outcome_table(records):
        print(line)
    print(f"ledger rows under this run's keys: {len(keyed)} ({len(keyed_after)} after the retries); "
          f"bulk grants posted: {len({g['description'] for g in grants})} ({len(grants)} rows)")
    print("retries with the same key after the fault:")
    for (kind, first, how), n in sorted(resolved.items()):
        print(f"  {kind:<9} first {first:<8} → {how}: {n}")
    grants_unknown = [r for r in records if r["kind"] == "grant" and r["outcome"] == "unknown"]
    if grants_unknown:
        print(f"  grant     {len(grants_unknown)} without an answer, not retried (grantDustBulk has no idempotency "
              f"key): {sum(1 for r in grants_unknown if r['in_ledger'])} committed whole, "
              f"{sum(1 for r in grants_unknown if not r['in_ledger'])} not at all")
    for line in report:
        print(line)
    print(f"duplicates found: {duplicates}")
    print(f"ledgerAudit: {'empty' if api_audit == [] else api_audit}; SQL Σ amount = dust_balance: "
          f"{'holds' if not sql_audit else f'{len(sql_audit)} users differ'} for all {totals['n']} users "
          f"({totals['dust']} DUST)")
    print(f"DUST holds: {holds}")
    checks.finish()


def check_crash(records, health, events):
    lines = []
    kills = [at for name, at in events if name == "kill"]
    readies = [at for name, at in events if name == "ready"]
    for i, (kill, ready) in enumerate(zip(kills, readies), 1):
        after = [r["t1"] for r in records if r["outcome"] == "ok" and r["t0"] >= kill]
        first_ok = min(after) - kill if after else None
        in_flight = sum(1 for r in records if r["t0"] < kill <= r["t1"])
        lines.append(f"kill -9 #{i}: {in_flight} requests in flight; server ready again after {ready - kill:.1f} s; "
                     f"first success {first_ok:.1f} s after the kill" if first_ok is not None else
                     f"kill -9 #{i}: no success after it")
    return lines


def check_outage(checks, records, health, events, args):
    """While PostgreSQL is down: fast SERVICE_UNAVAILABLE answers, readiness 503; after: 200 and
    successes again, from the same server process."""
    at = dict(events)
    stop, stopped, start, started = at["pg_stop"], at["pg_stopped"], at["pg_start"], at["pg_started"]
    lines = []
    limit = args.latency_limit
    overlapping = [r for r in records if r["t0"] < start and r["t1"] > stop]
    codes = {}
    for r in overlapping:
        label = r["code"] if r["outcome"] == "error" else r["outcome"]
        codes[label] = codes.get(label, 0) + 1
    latencies = [r["latency"] for r in overlapping]
    lines.append(f"PostgreSQL down {start - stopped:.1f} s (fast shutdown took {stopped - stop:.1f} s): "
                 f"{len(overlapping)} requests overlapped the outage: {json.dumps(codes)}; latency p50 "
                 f"{percentile(latencies, 50) * 1000:.0f} ms, p99 {percentile(latencies, 99) * 1000:.0f} ms, max "
                 f"{max(latencies, default=0) * 1000:.0f} ms (limit {limit * 1000:.0f} ms)")
    if not any(r["t0"] < start and r["t1"] > stopped for r in records):
        checks.fail("no request was in flight while PostgreSQL was down: the outage was not exercised")
    for r in overlapping:
        if r["outcome"] == "error" and r["code"] != "SERVICE_UNAVAILABLE":
            if not (r["code"] == "INSUFFICIENT_DUST"):
                checks.fail("a request during the outage failed with another code than SERVICE_UNAVAILABLE",
                            {"key": r["key"], "code": r["code"], "message": (r["data"] or {}).get("message")})
        if r["outcome"] == "error" and r["code"] == "SERVICE_UNAVAILABLE":
            retry_after = ((r["data"] or {}).get("extensions") or {}).get("retryAfter")
            if retry_after is None:
                checks.fail("SERVICE_UNAVAILABLE without retryAfter", r["key"])
        if r["outcome"] in ("unknown", "refused"):
            checks.fail("a request during the outage got no answer", {"key": r["key"], "how": r["code"]})
        if r["latency"] > limit:
            checks.fail(f"a request during the outage took longer than {limit:.0f} s to answer",
                        {"key": r["key"], "latency_s": round(r["latency"], 2), "outcome": r["outcome"],
                         "code": r["code"], "started_after_stop_s": round(r["t0"] - stop, 2)})
    # Readiness.
    # Probes sent while PostgreSQL was down (they may answer after it is back, when they waited).
    down_probes = [h for h in health if stopped <= h["t0"] < start]
    statuses = {}
    for h in down_probes:
        label = str(h["status"] or h["transport"])
        if h["status"] == 200 and h["t0"] + h["latency"] > start:
            label = "200 after PostgreSQL was back"
        statuses[label] = statuses.get(label, 0) + 1
    if not any(h["status"] == 503 and h["t0"] + h["latency"] <= start for h in down_probes):
        checks.fail("/health/ready never answered 503 while PostgreSQL was down",
                    {"probes sent while down": statuses})
    if any(h["status"] == 200 and h["t0"] + h["latency"] <= start for h in down_probes):
        checks.fail("/health/ready answered 200 while PostgreSQL was down", statuses)
    ready_again = [h for h in health if h["t0"] >= started and h["status"] == 200]
    back = [h for h in health if h["t0"] >= started]
    ready_at = min((h["t0"] + h["latency"] for h in ready_again), default=None)
    if ready_at is None:
        checks.fail("/health/ready did not answer 200 again after PostgreSQL came back", [h["status"] for h in back])
    slow_probes = [h for h in health if h["t0"] < start and h["t0"] + h["latency"] > stop and h["latency"] > limit]
    if slow_probes:
        checks.fail(f"/health/ready took longer than {limit:.0f} s during the outage",
                    {"probes": len(slow_probes), "max_s": round(max(h["latency"] for h in slow_probes), 2)})
    lines.append(f"/health/ready while down: {json.dumps(statuses)}; 200 again "
                 + (f"{ready_at - started:.1f} s after PostgreSQL accepted connections" if ready_at else "never"))
    # Recovery without a restart.
    after = [r for r in records if r["t0"] >= started]
    oks = [r for r in after if r["outcome"] == "ok"]
    first_ok = min((r["t1"] for r in oks), default=None)
    if first_ok is None:
        checks.fail("no request succeeded after PostgreSQL came back")
    settled = [r for r in after if first_ok is not None and r["t0"] >= first_ok + 1.0]
    bad = [r for r in settled if r["outcome"] != "ok" and r["code"] != "INSUFFICIENT_DUST"]
    if bad:
        checks.fail("requests still fail a second after the first success following the outage",
                    [{"key": r["key"], "outcome": r["outcome"], "code": r["code"]} for r in bad[:3]])
    lines.append(f"after PostgreSQL came back: first success {first_ok - started:.1f} s after it accepted "
                 f"connections; {len(oks)}/{len(after)} requests ok" if first_ok else
                 "after PostgreSQL came back: no success")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("mock-llm")
    p.add_argument("--port-file", required=True)
    p.add_argument("--min-delay", type=float, default=0.05)
    p.add_argument("--max-delay", type=float, default=0.4)
    p = sub.add_parser("proxy")
    p.add_argument("--backends", required=True, help="ports, comma-separated")
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p = sub.add_parser("setup")
    p.add_argument("--url", required=True)
    p.add_argument("--log", required=True, nargs="+", help="the server log(s): one per replica")
    p.add_argument("--state", required=True)
    p.add_argument("--run", required=True)
    p.add_argument("--admin", required=True)
    p.add_argument("--users", type=int, default=8)
    p.add_argument("--llm", action="store_true")
    p = sub.add_parser("run")
    p.add_argument("--url", required=True)
    p.add_argument("--state", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--kinds", default="consume")
    p = sub.add_parser("verify")
    p.add_argument("--url", required=True)
    p.add_argument("--state", required=True)
    p.add_argument("--outcomes", required=True)
    p.add_argument("--events", required=True)
    p.add_argument("--db-url", required=True)
    p.add_argument("--mode", choices=["kill9", "pg"], required=True)
    p.add_argument("--title", default="fault drill")
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--redis-prefix", default="")
    p.add_argument("--latency-limit", type=float, default=3.0)
    args = parser.parse_args()
    if getattr(args, "workers", 1) > 16:
        parser.error("at most 16 workers (the machine is shared)")
    {"mock-llm": mock_llm, "proxy": tcp_proxy, "setup": setup, "run": run, "verify": verify}[args.command](args)


if __name__ == "__main__":
    main()
