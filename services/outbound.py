"""Requests the server sends to an address someone else named: only to public ones.

A push subscription's endpoint is chosen by whoever posts it, so posting to it is
server-side request forgery waiting to happen: `https://127.0.0.1:5432/`,
`169.254.169.254`, `2130706433`, `metadata.google.internal`, or a name whose DNS
answer is one of those (today, or only after we checked it). Two checks close it:

- `check_url` when the address is given (a clear refusal to the person), and
- `PinnedSession` when we connect: the name is resolved once, every address it
  resolves to is checked, and the socket is opened to those checked addresses
  (TLS still verifies the name), so a DNS answer that changes between the check
  and the connection cannot win.

Tests and benchmarks talk to push services on 127.0.0.1; they opt in with
`allow_private` (PUSH_ALLOW_PRIVATE_ADDRESSES), which is off by default.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

# Names that never lead anywhere public (RFC 6761, 6762, 8375; cloud metadata).
PRIVATE_SUFFIXES = (
    "localhost",
    ".local",
    ".internal",
    ".localdomain",
    ".home.arpa",
    ".intranet",
    ".lan",
    ".corp",
    ".invalid",
    ".test",
    ".example",
    ".onion",
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class RefusedAddress(Exception):
    """An address we will not send to; the message says why, for a log or a person.
    Not an OSError, so no HTTP library mistakes it for a network error to retry."""


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (tests replace this to play DNS)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise RefusedAddress(f"{host} does not resolve: {error}") from None
    return list(dict.fromkeys(info[4][0] for info in infos))


def is_public(address: str) -> bool:
    """A globally routable unicast address, looking inside v6 forms that carry a v4
    address (v4-mapped, 6to4, Teredo, NAT64)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
        if ip in NAT64:
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if any(v4 is not None and not is_public(str(v4)) for v4 in embedded):
            return False
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def checked_addresses(host: str, port: int, allow_private: bool = False) -> list[str]:
    """The addresses to connect to for `host`, all of them public (unless private ones
    are allowed), or RefusedAddress."""
    host = (host or "").rstrip(".").lower()
    if not host:
        raise RefusedAddress("no host")
    if not allow_private and (host in PRIVATE_SUFFIXES or host.endswith(PRIVATE_SUFFIXES)):
        raise RefusedAddress(f"{host} is a local or internal name")
    addresses = resolve(host, port)
    if not addresses:
        raise RefusedAddress(f"{host} does not resolve")
    if not allow_private:
        private = [address for address in addresses if not is_public(address)]
        if private:
            raise RefusedAddress(f"{host} resolves to a non-public address ({private[0]})")
    return addresses


def check_url(url: str, allow_private: bool = False) -> list[str]:
    """Check a URL we will POST to later; returns its addresses or RefusedAddress.
    Without `allow_private`, only https on its usual port (every push service's)."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise RefusedAddress("the port is not a number") from None
    if not allow_private and port != 443:
        raise RefusedAddress(f"port {port} is not the https port")
    return checked_addresses(parts.hostname or "", port, allow_private)


def _connect(connection, addresses: list[str]) -> socket.socket:
    """Open a socket to the first of `addresses` that answers, as urllib3 would to the
    name, but only ever to these."""
    last_error: OSError | None = None
    for address in addresses:
        try:
            sock = socket.create_connection(
                (address, connection.port),
                connection.timeout,
                source_address=connection.source_address,
            )
        except TimeoutError as error:
            last_error = error
            continue
        except OSError as error:
            last_error = error
            continue
        for option in connection.socket_options or ():
            sock.setsockopt(*option)
        return sock
    if isinstance(last_error, TimeoutError):
        raise ConnectTimeoutError(
            connection, f"Connection to {connection.host} timed out"
        ) from last_error
    raise NewConnectionError(
        connection, f"Failed to establish a new connection: {last_error}"
    ) from last_error


class _Pinned:
    allow_private = False

    def _new_conn(self) -> socket.socket:
        addresses = checked_addresses(self._dns_host, self.port, self.allow_private)
        return _connect(self, addresses)


def _pool_classes(allow_private: bool) -> dict:
    http = type("PinnedHTTPConnection", (_Pinned, HTTPConnection), {"allow_private": allow_private})
    https = type(
        "PinnedHTTPSConnection", (_Pinned, HTTPSConnection), {"allow_private": allow_private}
    )
    return {
        "http": type("PinnedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
        "https": type("PinnedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https}),
    }


class PinnedAdapter(HTTPAdapter):
    """requests' adapter with connections that resolve, check and connect as above."""

    def __init__(self, allow_private: bool = False, **kwargs):
        self.allow_private = allow_private
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self.allow_private)


def pinned_session(allow_private: bool = False) -> requests.Session:
    """A requests session that only reaches checked addresses. Proxy settings from the
    environment are ignored: a proxy would resolve the name itself."""
    session = requests.Session()
    session.trust_env = False
    adapter = PinnedAdapter(allow_private, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
