"""Bad input, property-based: every route gets wrong types, huge bodies, unicode (NUL,
right-to-left marks, emoji, lone surrogates in JSON), missing and extra fields, wrong
methods, bad CSRF tokens and other shops' ids. Never a 5xx; a refused request changes
nothing. A short, reproducible slice; `python bench/fuzz.py` runs the long one."""

import pytest
from hypothesis import HealthCheck, given, settings

from app import create_app
from tests import fuzz_input, fuzz_world, helpers

EXAMPLES = {"POST": 12, "GET": 3}


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def _routes():
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", **helpers.PUSH_TEST_CONFIG}
    )
    return fuzz_input.routes(app)


ROUTES = _routes()


# One seeded world for the module, emptied once at the end.
@pytest.fixture(autouse=True)
def _empty_tables():
    yield


@pytest.fixture(scope="module")
def world(app, database, _stripe_server):
    fuzz_world.empty_all(app)
    yield fuzz_world.build(fuzz_world.stripe_app(database, _stripe_server.url))
    fuzz_world.empty_all(app)


def test_every_form_and_json_endpoint_is_fuzzed():
    posted = {route.endpoint for route in ROUTES if route.method == "POST"}
    assert {"push.subscribe", "customer.order", "staff.move_line"} <= posted
    assert {"payments.stripe_webhook", "admin.settings", "staff.login"} <= posted
    assert len(posted) >= 35


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.name)
def test_bad_input_never_breaks_anything(world, route):
    @fuzz_settings(EXAMPLES.get(route.method, 3))
    @given(case=fuzz_input.cases(world, route))
    def run(case):
        fuzz_input.check(world, route, case)

    run()


@pytest.mark.parametrize("body", ['" "', "5", "[1, 2]", "null"])
def test_a_json_body_that_is_not_an_object_is_refused(world, body):
    """Found by the fuzz: Flask-WTF turned a JSON string into form fields and broke."""
    client = world.clients["anonymous"]
    before = fuzz_world.snapshot(world.app)
    response = client.post(
        "/staff/login",
        data=body,
        content_type="application/json",
        headers={"X-CSRFToken": client.csrf_token(), "Accept": "application/json"},
    )
    assert response.status_code == 400
    assert fuzz_world.snapshot(world.app) == before
