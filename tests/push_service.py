"""A Web Push service on 127.0.0.1, for the tests and bench/push.py.

It checks each request the way a real push service does (a VAPID JWT signed with
ES256 by the key in `k=`, for this origin, expiring within 24 h, with a mailto: or
https: subject; `Content-Type: application/octet-stream` and `Content-Encoding:
aes128gcm`, as RFC 8291's example; a TTL) and decrypts the body with the
private key of the fake subscription it handed out, so a test reads exactly what the
phone's service worker would. Faults can be queued to make it misbehave.
"""

import base64
import contextlib
import json
import re
import secrets
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

SUBJECT = re.compile(r"^(mailto:[^@\s]+@[^@\s]+\.[^@\s]+|https://[^/\s]+\.[^/\s]+.*)$")
MAX_BODY = 4096


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Delivery:
    token: str
    payload: dict
    headers: dict
    received_at: float  # time.perf_counter() once decrypted


@dataclass
class Fault:
    status: int = 201
    headers: dict = field(default_factory=dict)
    hang: float = 0.0  # seconds to sit on the request before answering


class LocalPushService:
    def __init__(self, expected_key: str | None = None):
        self.expected_key = expected_key  # the app's VAPID public key, when known
        self.deliveries: list[Delivery] = []
        self.attempts: list[tuple[str, int]] = []  # (token, status answered)
        self.problems: list[str] = []
        self._faults: deque[Fault] = deque()
        self._keys: dict[str, tuple[ec.EllipticCurvePrivateKey, bytes]] = {}
        self._lock = threading.Condition()
        self.server = None
        self.origin = ""

    # -- running -------------------------------------------------------------------

    def start(self) -> "LocalPushService":
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real push services

            def do_POST(self):
                service._handle(self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    # -- what tests use --------------------------------------------------------------

    def subscription(self) -> dict:
        """A new phone's subscription, shaped like PushSubscription.toJSON()."""
        key = ec.generate_private_key(ec.SECP256R1())
        auth = secrets.token_bytes(16)
        token = secrets.token_urlsafe(12)
        self._keys[token] = (key, auth)
        public = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": f"{self.origin}/push/{token}",
            "expirationTime": None,
            "keys": {"p256dh": b64url(public), "auth": b64url(auth)},
        }

    def fail_next(self, *faults) -> None:
        """Answer the next requests with these, in order: a status code, a
        (status, headers) pair, or a Fault (e.g. Fault(hang=1.0) for a timeout)."""
        for fault in faults:
            if isinstance(fault, int):
                fault = Fault(fault)
            elif isinstance(fault, tuple):
                fault = Fault(*fault)
            self._faults.append(fault)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Delivery]:
        with self._lock:
            self._lock.wait_for(lambda: len(self.deliveries) >= count, timeout)
            return list(self.deliveries)

    def payloads(self) -> list[dict]:
        return [delivery.payload for delivery in self.deliveries]

    def reset(self) -> None:
        with self._lock:
            self.deliveries.clear()
            self.attempts.clear()
            self.problems.clear()
            self._faults.clear()

    # -- one request -----------------------------------------------------------------

    def _answer(self, handler, status: int, headers: dict | None = None, body: bytes = b""):
        try:
            handler.send_response(status)
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except OSError:
            pass  # the sender gave up waiting (a timeout test)

    def _handle(self, handler) -> None:
        token = handler.path.rsplit("/", 1)[-1]
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        fault = self._faults.popleft() if self._faults else None
        if fault is not None and (fault.hang or fault.status >= 300):
            if fault.hang:
                time.sleep(fault.hang)
            with self._lock:
                self.attempts.append((token, fault.status))
            self._answer(handler, fault.status, fault.headers)
            return
        if token not in self._keys:
            with self._lock:
                self.attempts.append((token, 404))
            self._answer(handler, 404)
            return
        try:
            payload = self._check_and_decrypt(handler.headers, body, *self._keys[token])
        except AssertionError as problem:
            with self._lock:
                self.problems.append(str(problem))
                self.attempts.append((token, 400))
            self._answer(handler, 400, body=str(problem).encode())
            return
        with self._lock:
            self.attempts.append((token, 201))
            self.deliveries.append(
                Delivery(
                    token,
                    payload,
                    {k.lower(): v for k, v in handler.headers.items()},
                    time.perf_counter(),
                )
            )
            self._lock.notify_all()
        self._answer(handler, 201, {"Location": f"{self.origin}/message/{secrets.token_hex(6)}"})

    def _check_and_decrypt(self, headers, body: bytes, key, auth) -> dict:
        self._check_vapid(headers.get("Authorization", ""))
        encoding = headers.get("Content-Encoding")
        assert encoding == "aes128gcm", f"Content-Encoding is {encoding!r}, not aes128gcm"
        kind = headers.get("Content-Type")
        assert kind == "application/octet-stream", f"Content-Type is {kind!r}"
        ttl = headers.get("TTL", "")
        assert ttl.isdigit(), f"TTL header missing or not a number: {ttl!r}"
        urgency = headers.get("Urgency")
        assert urgency in (None, "very-low", "low", "normal", "high"), f"Urgency {urgency!r}"
        assert len(body) <= MAX_BODY, f"body of {len(body)} bytes is over {MAX_BODY}"
        plaintext = http_ece.decrypt(body, private_key=key, auth_secret=auth, version="aes128gcm")
        return json.loads(plaintext.decode("utf-8"))

    def _check_vapid(self, authorization: str) -> None:
        scheme, _, params = authorization.partition(" ")
        assert scheme.lower() == "vapid", f"Authorization scheme {scheme!r}, not vapid"
        parts = dict(item.strip().split("=", 1) for item in params.split(",") if "=" in item)
        assert "t" in parts and "k" in parts, "Authorization needs t= and k="
        if self.expected_key:
            assert parts["k"] == self.expected_key, "k= is not the app's VAPID public key"
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(parts["k"]))
        header_b64, claims_b64, signature_b64 = parts["t"].split(".")
        header = json.loads(unb64url(header_b64))
        assert header.get("alg") == "ES256", f"JWT alg {header.get('alg')!r}, not ES256"
        signature = unb64url(signature_b64)
        assert len(signature) == 64, "ES256 signature must be 64 bytes (r || s)"
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        try:
            public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise AssertionError("VAPID JWT signature does not match k=") from None
        claims = json.loads(unb64url(claims_b64))
        assert claims.get("aud") == self.origin, f"aud {claims.get('aud')!r} != {self.origin}"
        now = time.time()
        exp = claims.get("exp")
        assert isinstance(exp, int) and now < exp <= now + 24 * 3600, f"exp {exp!r} out of range"
        assert SUBJECT.match(str(claims.get("sub", ""))), f"sub {claims.get('sub')!r} unusable"


class Tarpit:
    """An endpoint that accepts connections and never answers: what a hostile or dead
    push service looks like from the dispatcher. For tests and bench/push_tarpit.py."""

    def __init__(self):
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=4096)
        self.origin = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self.held: list = []
        self.accepted = 0
        self._lock = threading.Condition()
        self._open = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return  # closed
            with self._lock:
                if not self._open:
                    connection.close()
                    return
                self.held.append(connection)
                self.accepted += 1
                self._lock.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        with self._lock:
            return self._lock.wait_for(lambda: self.accepted >= count, timeout)

    def stop(self) -> None:
        """Close every held connection: each waiting sender sees it drop."""
        with self._lock:
            self._open = False
            held, self.held = self.held, []
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self._listener.close()
        for connection in held:
            connection.close()
