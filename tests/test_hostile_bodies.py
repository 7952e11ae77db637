"""Bodies an attacker sent (issue 12, item 9) are a 400 with a plain message and change
nothing, on every POST route, before any view runs: anything but one JSON object,
nesting 50,000 deep, lone surrogates or NUL in any key or string, numbers Python
will not convert, bytes that are not UTF-8; and a field of any JSON type is never a
server error (scalars are read as text, anything nested is refused)."""

import json

import pytest

from tests import fuzz_input, fuzz_world

ROUTES = fuzz_input.routes(fuzz_world.stripe_app(("sqlite://", {}), "http://127.0.0.1:9"))
POST_ROUTES = [route for route in ROUTES if route.method == "POST"]


@pytest.fixture(autouse=True)
def _empty_tables():
    """One seeded world for the module (as tests/test_fuzz.py), emptied at the end."""
    yield


@pytest.fixture(scope="module")
def world(app, database, _stripe_server):
    fuzz_world.empty_all(app)
    yield fuzz_world.build(fuzz_world.stripe_app(database, _stripe_server.url))
    fuzz_world.empty_all(app)


def real_path(world, route) -> str:
    """The route with this café's own ids, so a request gets past the door."""
    a = world.a
    values = {
        "tab_id": a.spare_tab,
        "line_id": a.spare_lines[0],
        "card_id": a.spare_card,
        "item_id": a.spare_item,
        "category_id": a.spare_category,
        "member_id": a.spare_member,
        "group_id": a.group,
        "choice_id": a.choice,
        "station_id": a.station,
        "key": a.board_key,
        "public_id": world.tab_public_id,
        "code": a.table_code,
        "token": world.join_token,
    }
    return fuzz_input.build_path(route, {name: values[name] for name in route.args})


def send_json(world, route, body: str | bytes, accept_json: bool = True) -> int:
    case = fuzz_input.Case(
        role=route.role,
        method="POST",
        path=real_path(world, route),
        body="raw",
        raw=body if isinstance(body, bytes) else body.encode(),
        content_type="application/json",
        accept_json=accept_json,
    )
    return fuzz_input.check(world, route, case)  # raises on a 5xx or a change on refusal


BAD_BODIES = {
    "50,000 [": "[" * 50_000,
    "12,000 {": '{"a":' * 12_000,  # 60 KB, under the 64 KB cap
    "a string": '"hello"',
    "a number": "5",
    "a list": '[{"name": "x"}]',
    "null": "null",
    "empty": "",
    "a lone surrogate": '{"name": "\\ud800", "customer_name": "\\udfff", "note": "a\\ud83d"}',
    "a lone surrogate in a key": '{"\\ud800": "x"}',
    "NUL": '{"endpoint": "a\\u0000b", "name": "a\\u0000", "reason": "\\u0000"}',
    "a 5,000-digit number": '{"quantity": 1' + "0" * 5000 + "}",
    "not UTF-8": b'{"name": "\xff\xfe"}',
}


@pytest.mark.parametrize("shape", BAD_BODIES)
@pytest.mark.parametrize("route", POST_ROUTES, ids=lambda route: route.name)
def test_a_json_body_that_is_not_one_plain_object_is_refused_on_every_post_route(
    world, route, shape
):
    assert send_json(world, route, BAD_BODIES[shape]) == 400


JSON_VALUES = [123, -1.5, 1e308, True, False, None, [], [1, "x"], {"a": 1}, [{"a": []}], "x"]


@pytest.mark.parametrize("route", POST_ROUTES, ids=lambda route: route.name)
def test_any_json_type_in_any_field_is_never_a_server_error(world, route):
    for value in JSON_VALUES:
        body = {name: value for name in fuzz_input.FIELD_NAMES if name != "csrf_token"}
        status = send_json(world, route, json.dumps(body))
        assert status < 500


def test_a_number_where_text_belongs_is_read_as_text(world):
    """{"email": 123} to the login was a 500; now the form reads "123"."""
    client = world.clients["anonymous"]
    response = client.post(
        "/staff/login",
        json={"email": 123, "password": ["a", "b"]},
        headers={"X-CSRFToken": client.csrf_token(), "Accept": "application/json"},
    )
    assert response.status_code == 400
    assert "email" in response.get_data(as_text=True).lower()


def test_nested_values_in_a_field_are_refused_with_a_plain_message(world):
    client = world.clients["anonymous"]
    response = client.post(
        f"/t/{world.a.table_code}",
        json={"customer_name": {"first": "Ana"}},
        headers={"X-CSRFToken": client.csrf_token(), "Accept": "application/json"},
    )
    assert response.status_code == 400
    assert response.json == {"error": "The field customer_name must be text or a number."}
