"""A local HTTP server standing in for the Stripe API, so the card payment tests run
without the internet. It answers the few endpoints Tabby calls, the way Stripe does
(form-encoded requests, JSON answers, idempotency keys), records every request, and
notes anything Tabby sent that Stripe would not accept in `problems`.

Webhooks are signed here exactly as Stripe signs them and the library verifies them:
`Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
"""

import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

SECRET_KEY = "sk_test_tabby_standin_key"
WEBHOOK_SECRET = "whsec_tabby_standin_secret"


@dataclass
class Seen:
    method: str
    path: str
    headers: dict
    params: dict


@dataclass
class StripeStandIn:
    url: str = ""
    requests: list[Seen] = field(default_factory=list)
    sessions: dict[str, dict] = field(default_factory=dict)
    refunds: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # "ok", "error" (a 500 on every API call) or "slow" (answers after `delay`).
    mode: str = "ok"
    delay: float = 0.0
    _idempotent: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self):
        with self._lock:
            self.requests.clear()
            self.sessions.clear()
            self.refunds.clear()
            self.problems.clear()
            self._idempotent.clear()
            self.mode, self.delay = "ok", 0.0

    def calls(self, method: str, path_prefix: str) -> list[Seen]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]

    # -- webhooks -----------------------------------------------------------------

    def event(self, session_id: str, kind: str = "checkout.session.completed", **changes):
        """An event as Stripe sends it, carrying the session as it stands, paid."""
        session = dict(self.sessions[session_id])
        session.update(status="complete", payment_status="paid")
        session.update(changes)
        return {
            "id": f"evt_test_{secrets.token_hex(12)}",
            "object": "event",
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "livemode": False,
            "pending_webhooks": 1,
            "type": kind,
            "data": {"object": session},
        }


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _nest(pairs) -> dict:
    """Stripe's form encoding (`a[b][0][c]=v`) back into nested dicts and lists."""
    root: dict = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value

    def listify(node):
        if isinstance(node, dict):
            if node and all(k.isdigit() for k in node):
                return [listify(node[k]) for k in sorted(node, key=int)]
            return {k: listify(v) for k, v in node.items()}
        return node

    return listify(root)


class _Handler(BaseHTTPRequestHandler):
    standin: StripeStandIn

    def log_message(self, *args):  # keep test output quiet
        pass

    def _answer(self, status: int, body: dict, headers: dict | None = None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", f"req_{secrets.token_hex(6)}")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str, kind: str = "invalid_request_error"):
        self._answer(status, {"error": {"type": kind, "message": message}})

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def _handle(self, method: str):
        s = self.standin
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        params = _nest(parse_qsl(raw, keep_blank_values=True))
        with s._lock:
            s.requests.append(Seen(method, self.path, dict(self.headers), params))

        if self.path.startswith("/pay/"):  # the hosted checkout page a customer would see
            body = b"<!doctype html><title>Stand-in checkout</title><p>Pay here</p>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return

        if self.headers.get("Authorization") != f"Bearer {SECRET_KEY}":
            s.problems.append(
                f"{self.path}: wrong Authorization {self.headers.get('Authorization')}"
            )
            return self._error(401, "Invalid API Key provided", "authentication_error")
        if s.mode == "slow":
            time.sleep(s.delay)
        if s.mode == "error":
            return self._error(500, "Something went wrong on Stripe's end.", "api_error")

        key = self.headers.get("Idempotency-Key")
        if method == "POST":
            if not key:
                s.problems.append(f"{self.path}: no Idempotency-Key")
            with s._lock:
                earlier = s._idempotent.get((self.path, key)) if key else None
                if earlier is not None:
                    if earlier[0] != raw:
                        return self._error(
                            400,
                            "Keys for idempotent requests can only be used with the same "
                            "parameters they were first used with.",
                            "idempotency_error",
                        )
                    return self._answer(200, earlier[1], {"Idempotent-Replayed": "true"})
                status, body = self._route(method, params)
                if key and status == 200:
                    s._idempotent[(self.path, key)] = (raw, body)
            return self._answer(status, body)
        status, body = self._route(method, params)
        return self._answer(status, body)

    def _route(self, method: str, params: dict) -> tuple[int, dict]:
        s = self.standin
        if method == "POST" and self.path == "/v1/checkout/sessions":
            return self._create_session(params)
        if method == "GET" and self.path.startswith("/v1/checkout/sessions/"):
            session = s.sessions.get(self.path.rsplit("/", 1)[1])
            if session is None:
                return 404, {"error": {"type": "invalid_request_error", "message": "No such"}}
            return 200, session
        if method == "POST" and self.path == "/v1/refunds":
            intent = params.get("payment_intent")
            known = {x.get("payment_intent") for x in s.sessions.values()}
            if intent not in known:
                s.problems.append(f"refund for unknown payment intent {intent!r}")
                return 404, {"error": {"type": "invalid_request_error", "message": "No such"}}
            refund = {
                "id": f"re_test_{secrets.token_hex(8)}",
                "object": "refund",
                "payment_intent": intent,
                "amount": int(params["amount"]) if "amount" in params else None,
                "status": "succeeded",
            }
            s.refunds.append(refund)
            return 200, refund
        s.problems.append(f"unexpected {method} {self.path}")
        return 404, {"error": {"type": "invalid_request_error", "message": "Unrecognized URL"}}

    def _create_session(self, p: dict) -> tuple[int, dict]:
        s = self.standin
        required = ("mode", "success_url", "cancel_url", "client_reference_id", "line_items")
        missing = [name for name in required if not p.get(name)]
        if missing or p.get("mode") != "payment":
            s.problems.append(f"checkout session: missing {missing} or mode {p.get('mode')}")
            return 400, {"error": {"type": "invalid_request_error", "message": "bad params"}}
        total, currencies = 0, set()
        for item in p["line_items"]:
            price = item["price_data"]
            currencies.add(price["currency"])
            total += int(price["unit_amount"]) * int(item.get("quantity", 1))
        if len(currencies) != 1 or next(iter(currencies)) != next(iter(currencies)).lower():
            s.problems.append(f"checkout session: currencies {currencies}")
        session_id = f"cs_test_{secrets.token_hex(12)}"
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": "payment",
            "status": "open",
            "payment_status": "unpaid",
            "amount_total": total,
            "currency": next(iter(currencies)),
            "client_reference_id": p["client_reference_id"],
            "metadata": p.get("metadata", {}),
            "success_url": p["success_url"],
            "cancel_url": p["cancel_url"],
            "payment_intent": f"pi_test_{secrets.token_hex(12)}",
            "url": f"{s.url}/pay/{session_id}",
            "livemode": False,
        }
        s.sessions[session_id] = session
        return 200, session


def start_standin() -> tuple[StripeStandIn, ThreadingHTTPServer]:
    standin = StripeStandIn()
    handler = type("Handler", (_Handler,), {"standin": standin})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    standin.url = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return standin, server


def deliver(client, event: dict, secret: str = WEBHOOK_SECRET, signature: str | None = None):
    """POST `event` to Tabby's webhook as Stripe does: raw JSON body, signed header."""
    payload = json.dumps(event).encode()
    return client.post(
        "/stripe/webhook",
        data=payload,
        headers={"Stripe-Signature": signature or sign(payload, secret)},
        content_type="application/json",
    )


def session_id_from(location: str) -> str:
    """The checkout session id in the stand-in's hosted page URL Tabby redirected to."""
    return location.rsplit("/pay/", 1)[1]
