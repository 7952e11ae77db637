"""Hostile requests for every route, as hypothesis strategies, and the one rule they
are checked against: never a 5xx, and a refused request (any 4xx) changes nothing.

Shared by tests/test_fuzz.py (a short slice in the suite) and bench/fuzz.py (the long
run). A case is built from the world (tests/fuzz_world.py) it runs against, so ids
and codes can be real ones, this café's or another's.
"""

import json
from dataclasses import dataclass, field
from urllib.parse import quote

from hypothesis import strategies as st
from wtforms.fields.core import UnboundField

from blueprints import forms
from services import MAX_ID
from tests import fuzz_world

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
STAFF_ROLES = ("staff", "owner", "other_staff", "other_owner")


def form_field_names() -> list[str]:
    names = {"csrf_token", "next", "endpoint", "keys", "p256dh", "auth", "expirationTime"}
    for value in vars(forms).values():
        if isinstance(value, type) and issubclass(value, forms.FlaskForm):
            for klass in value.__mro__:
                names.update(k for k, v in vars(klass).items() if isinstance(v, UnboundField))
    return sorted(names)


FIELD_NAMES = form_field_names()

# Text a person (or a script) might send: control characters, NUL, right-to-left
# marks, emoji, combining marks, digits from other scripts.
NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u202eevil\u202c",
    "\u200f\u200e",
    "🍩☕️👩🏽‍🍳",
    "e\u0301\u0301\u0301",
    "١٢٣",
    "１２",
    "-1",
    "0",
    "-0",
    "1e309",
    "NaN",
    "inf",
    "0x10",
    "1_000",
    "99999999999999999999999999",
    str(MAX_ID + 1),
    str(-(2**63)),
    "3.999",
    "1,5",
    "€1",
    "cash",
    "card",
    "up",
    "down",
    "1",
    "all",
    "phone",
    "equal",
    "ready",
    "void",
    "served",
    "owner",
    "staff",
    "table",
    "personal",
    "25",
    "10",
    "custom",
    "EUR",
    "XXX",
    "en_IE",
    "zz_ZZ",
    "Europe/Dublin",
    "Mars/Olympus",
    "25:99",
    "17:30",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "%00",
    "https://evil.example.com/",
    "//evil.example.com",
    "/staff/../admin",
    # Header-breaking: a `next` or a name that would end up in a header.
    "\r\n",
    "/staff\r\nSet-Cookie: taken=1",
    "/staff\nLocation: https://evil.example.com",
    "/staff\\..\\evil",
    "a\rb",
    "\u2028\u2029",
    "\x1b[31mred\x1b[0m",
    "\x7f\x85\x9f",
    # Sizes past every column: a timezone, a name, a note.
    "Europe/" + "x" * 1000,
    "x" * 300,
    "é" * 2000,
    # Addresses a push endpoint must never be.
    "https://127.0.0.1:5432/push/x",
    "https://[::1]/push/x",
    "https://169.254.169.254/latest/meta-data",
    "https://2130706433/push/x",
    "https://0x7f.1/push/x",
    "https://metadata.google.internal/",
    "https://10.0.0.1/push/x",
    fuzz_world.PUSH_ENDPOINT,
]

# Text only JSON can carry: lone surrogates (a form's encoding cannot).
SURROGATES = ["\ud800", "a\udfff", "\udbff", "x\ud83d", "\udc00\ud800"]

texts = st.one_of(
    st.sampled_from(NASTY),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=40),
    st.builds(
        lambda char, size: char * size,
        st.sampled_from(["x", "é", "🍩", "\x00", "\u202e"]),
        st.sampled_from([141, 255, 256, 1000, 5000]),
    ),
)
numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
)
scalars = st.one_of(texts, numbers, st.booleans(), st.none())
json_texts = st.one_of(
    st.text(max_size=20),
    st.sampled_from(SURROGATES),
    st.text(st.characters(categories=["Cs", "Cc"]), min_size=1, max_size=6),
)
json_values = st.recursive(
    scalars | json_texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(json_texts, inner, max_size=4),
    max_leaves=12,
)
field_names = st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=12))
# Every field at once, each of any JSON type: what a script posts to a form.
typed_fields = st.dictionaries(st.sampled_from(FIELD_NAMES), json_values, min_size=1, max_size=12)


def deep_json(kind: str, depth: int) -> str:
    """JSON nested `depth` deep (kept under the 64 KB body limit)."""
    if kind == "array":
        return "[" * depth + "]" * depth
    if kind == "object":
        depth = min(depth, 12_000)
        return '{"a":' * depth + "1" + "}" * depth
    return "[" * depth  # unclosed: a parser must still not recurse to death


deep_bodies = st.builds(
    deep_json,
    st.sampled_from(["array", "object", "unclosed"]),
    st.sampled_from([33, 1000, 50_000]),
)


def _form_value(value) -> str:
    """A value as a form carries it: text, whose lone surrogates (which no form
    encoding can carry) arrive as "?", as a browser would send them."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value).encode("utf-8", "replace").decode()


def _as_form(data: dict) -> dict:
    return {
        _form_value(k): [_form_value(x) for x in v] if isinstance(v, list) else _form_value(v)
        for k, v in data.items()
    }


form_values = st.one_of(
    scalars.map(_form_value),
    st.lists(scalars.map(_form_value), min_size=2, max_size=3),  # the field sent twice
)
fields = st.dictionaries(field_names, form_values, max_size=8)


@dataclass
class Route:
    endpoint: str
    rule: str
    method: str
    args: tuple[str, ...]
    role: str  # who gets past the door, so most cases reach the parsing

    @property
    def name(self) -> str:
        return f"{self.method} {self.rule}"


def routes(app) -> list[Route]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append(
                Route(
                    rule.endpoint,
                    rule.rule,
                    method,
                    tuple(rule.arguments),
                    _usual_role(rule.endpoint),
                )
            )
    return sorted(found, key=lambda r: (r.rule, r.method))


def _usual_role(endpoint: str) -> str:
    if endpoint.startswith("admin."):
        return "owner"
    if endpoint.startswith("staff.") and endpoint != "staff.login":
        return "staff"
    if endpoint.startswith("tickets.") and not endpoint.startswith("tickets.ready_board"):
        return "staff"
    if endpoint.startswith(("customer.", "push.", "payments.")):
        return "tab_phone"
    return "anonymous"


def arg_values(world, name: str) -> st.SearchStrategy:
    a, b = world.a, world.b
    junk_ids = [0, -1, MAX_ID, MAX_ID + 1, 2**63, 10**40, "abc", "1.5", "１", "1e3", "%00"]
    ids = {
        "tab_id": [a.tab, a.spare_tab, a.other_tab, b.tab],
        "line_id": [*a.lines, *a.spare_lines, *b.lines],
        "card_id": [a.table, a.spare_card, b.table],
        "item_id": [a.item, a.spare_item, b.item],
        "category_id": [a.category, a.spare_category, b.category],
        # Never the logins the fuzz uses: deactivating them would end the run's reach.
        "member_id": [a.spare_member, b.staff, b.spare_member],
        "group_id": [a.group, b.group],
        "choice_id": [a.choice, b.choice],
        "station_id": [a.station, b.station],
    }
    tokens = {
        "public_id": [
            world.tab_public_id,
            world.other_public_id,
            world.b_public_id,
            world.shared_public_id,
        ],
        "code": [a.table_code, a.personal_code, b.table_code, a.join_code],
        "token": [world.join_token],
        "key": [a.board_key, b.board_key],
    }
    if name in ids:
        return st.one_of(st.sampled_from(ids[name]), st.sampled_from(junk_ids)).map(str)
    if name in tokens:
        return st.one_of(
            st.sampled_from(tokens[name]),
            st.text("ABCxyz0129_-", min_size=1, max_size=70),
            st.sampled_from(["é", "🍩", "a b", "..", "%2F", "\u202e"]),
        )
    return st.sampled_from(["css/admin.css", "../app.py", "nope.js", "%00"])


@dataclass
class Case:
    role: str
    method: str
    path: str
    body: str  # "form", "json", "typed", "deep", "big", "raw", "huge", "none"
    data: object = None
    raw: bytes = b""
    content_type: str = ""
    csrf: str = "valid"  # "valid", "missing", "wrong"
    accept_json: bool = False
    extra: dict = field(default_factory=dict)


def build_path(route: Route, values: dict) -> str:
    path = route.rule
    for name in route.args:
        start = path.index("<")
        end = path.index(">", start)
        path = path[:start] + quote(str(values[name]), safe="") + path[end + 1 :]
    return path


def cases(world, route: Route) -> st.SearchStrategy:
    def make(role, method, values, body, data, raw, content_type, csrf, accept_json):
        return Case(
            role=role,
            method=method,
            path=build_path(route, values),
            body=body,
            data=data,
            raw=raw,
            content_type=content_type,
            csrf=csrf,
            accept_json=accept_json,
        )

    return st.builds(
        make,
        role=st.one_of(st.just(route.role), st.just(route.role), st.sampled_from(fuzz_world.ROLES)),
        method=st.one_of(st.just(route.method), st.just(route.method), st.sampled_from(METHODS)),
        values=st.fixed_dictionaries({name: arg_values(world, name) for name in route.args}),
        body=st.sampled_from(
            ["form", "form", "form", "json", "typed", "typed", "deep", "big", "raw", "huge", "none"]
        ),
        data=st.one_of(fields, json_values, typed_fields),
        raw=st.one_of(st.binary(max_size=300), deep_bodies.map(str.encode)),
        content_type=st.sampled_from(
            [
                "application/x-www-form-urlencoded",
                "multipart/form-data",
                "multipart/form-data; boundary=x",
                "application/json",
                "text/plain",
                "",
            ]
        ),
        csrf=st.sampled_from(["valid"] * 8 + ["missing", "wrong"]),
        accept_json=st.booleans(),
    )


def send(world, case: Case):
    """Make the request; returns the response. Cookies a request hands out (a phone id
    for opening or joining a tab) are taken back, so each role stays who it is."""
    client = world.clients[case.role]
    cookie = fuzz_world.phone_cookie(client)
    token = {"valid": client.csrf_token(), "missing": None, "wrong": "not-a-token"}[case.csrf]
    headers = {"Accept": "application/json" if case.accept_json else "text/html"}
    if token:
        headers["X-CSRFToken"] = token
    kwargs = {"method": case.method, "headers": headers}
    data = case.data
    if case.method == "GET":
        if isinstance(data, dict):
            kwargs["query_string"] = _as_form(data)
    elif case.body == "form":
        form = dict(data) if isinstance(data, dict) else {"value": _form_value(data)}
        form = _as_form(form)
        if token:
            form.setdefault("csrf_token", token)
        kwargs["data"] = form
    elif case.body in ("json", "typed"):
        if case.body == "typed" and isinstance(data, dict):
            data = {str(k): v for k, v in data.items()}
            if token:
                data.setdefault("csrf_token", token)
        kwargs["data"] = json.dumps(data)
        kwargs["content_type"] = "application/json"
    elif case.body == "deep":
        kwargs["data"] = (
            case.raw if case.raw.startswith((b"[", b"{")) else deep_json("array", 50_000)
        )
        kwargs["content_type"] = "application/json"
    elif case.body == "big":
        # Just under the body limit: every field long, in a form.
        size = 56_000 // len(FIELD_NAMES)
        long = {name: "x" * size for name in FIELD_NAMES if name != "csrf_token"}
        kwargs["data"] = {**long, "csrf_token": token or ""}
    elif case.body == "raw":
        kwargs["data"] = case.raw
        kwargs["content_type"] = case.content_type
    elif case.body == "huge":
        kwargs["data"] = {"csrf_token": token or "", "note": "x" * 100_000, "name": "é" * 40_000}
    try:
        return client.open(case.path, **kwargs)
    finally:
        fuzz_world.restore_phone_cookie(client, cookie)


class Problem(AssertionError):
    pass


def check(world, route: Route, case: Case):
    """Run one case; raise Problem on a 5xx or on a refused request that changed data.
    Returns the status."""
    before = fuzz_world.snapshot(world.app)
    response = send(world, case)
    status = response.status_code
    if status >= 500:
        raise Problem(f"{route.name}: {status} for {case!r:.2000}")
    if 400 <= status < 500 and fuzz_world.snapshot(world.app) != before:
        raise Problem(f"{route.name}: refused with {status} but data changed, for {case!r:.2000}")
    routed = case.method == route.method and status != 404  # junk ids never route
    if case.body == "huge" and route.method == "POST" and routed and status != 413:
        raise Problem(f"{route.name}: a 100 KB body got {status}, not 413")
    if case.body == "deep" and route.method == "POST" and routed and status not in (400, 413):
        raise Problem(f"{route.name}: a deeply nested JSON body got {status}, not 400")
    heal(world, route, case, status)
    return status


def heal(world, route: Route, case: Case, status: int) -> None:
    """A fuzzed logout really logs out; log that role back in so later cases reach
    the pages behind the door again."""
    if route.endpoint == "staff.logout" and case.role in STAFF_ROLES and status < 400:
        shop = world.b if case.role.startswith("other_") else world.a
        email = getattr(shop, case.role.removeprefix("other_") + "_email")
        world.clients[case.role] = fuzz_world.login(world.app, email)
        world.clients[case.role].csrf_token()
