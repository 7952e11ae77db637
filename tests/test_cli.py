"""The shell commands: `demo`, `shop create` and `staff add`."""

import json

import pytest
from sqlalchemy import func, select

from extensions import db
from models import MenuItem, Shop, StaffMember, TokenCard
from tests.helpers import PASSWORD

BASE_URL = "http://localhost"  # what the test app's BASE_URL is set to


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def run(*args):
        return runner.invoke(args=[str(a) for a in args])

    return run


def count(in_app, model, *where) -> int:
    return in_app(
        lambda: db.session.execute(
            select(func.count()).select_from(model).where(*where)
        ).scalar_one()
    )


def counts(in_app) -> dict[str, int]:
    return {
        "shops": count(in_app, Shop),
        "items": count(in_app, MenuItem),
        "tables": count(in_app, TokenCard, TokenCard.kind == "table"),
        "personal": count(in_app, TokenCard, TokenCard.kind == "personal"),
        "staff": count(in_app, StaffMember),
    }


def logs_in(new_client, email: str, password: str) -> bool:
    client = new_client()
    client.get("/staff/login")
    response = client.post_form("/staff/login", {"email": email, "password": password})
    return response.status_code == 303 and client.get("/staff").status_code == 200


# -- demo ----------------------------------------------------------------------------


def test_demo_creates_a_shop_its_menu_cards_and_logins(cli, in_app):
    result = cli("demo")

    assert result.exit_code == 0, result.output
    assert counts(in_app) == {"shops": 1, "items": 10, "tables": 6, "personal": 10, "staff": 2}
    shop = in_app(lambda: db.session.execute(select(Shop)).scalar_one())
    assert shop.slug == "demo"
    roles = in_app(
        lambda: sorted(db.session.execute(select(StaffMember.role, StaffMember.email)).all())
    )
    assert [role for role, _ in roles] == ["owner", "staff"]
    codes = in_app(lambda: list(db.session.execute(select(TokenCard.code)).scalars()))
    for code in codes:
        assert f"{BASE_URL}/t/{code}" in result.output
    for _, email in roles:
        assert email in result.output
    assert result.output.count("password:") == 2


def test_demo_json_prints_one_object(cli, in_app):
    result = cli("demo", "--json")

    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)  # the whole output, nothing else
    assert set(summary) >= {
        "base_url",
        "shop",
        "owner",
        "staff",
        "table_cards",
        "personal_cards",
    }
    assert summary["base_url"] == BASE_URL
    assert summary["shop"] == "demo"
    for role in ("owner", "staff"):
        assert set(summary[role]) == {"email", "password"}
        assert summary[role]["email"] and summary[role]["password"]
    assert summary["owner"]["email"] != summary["staff"]["email"]
    assert len(summary["table_cards"]) == 6
    assert len(summary["personal_cards"]) == 10
    codes = {
        kind: set(
            in_app(
                lambda kind=kind: list(
                    db.session.execute(
                        select(TokenCard.code).where(TokenCard.kind == kind)
                    ).scalars()
                )
            )
        )
        for kind in ("table", "personal")
    }
    for kind, urls in (("table", summary["table_cards"]), ("personal", summary["personal_cards"])):
        assert all(url.startswith(BASE_URL + "/t/") for url in urls)
        assert {url.removeprefix(BASE_URL + "/t/") for url in urls} == codes[kind]


def test_demo_twice_duplicates_nothing_and_prints_the_same_logins(cli, in_app):
    first = cli("demo", "--json")
    after_first = counts(in_app)

    second = cli("demo", "--json")

    assert second.exit_code == 0, second.output
    assert counts(in_app) == after_first
    assert json.loads(second.output) == json.loads(first.output)
    assert "password:" in cli("demo").output  # the text form too, a third time
    assert counts(in_app) == after_first


def test_the_printed_logins_log_in(cli, new_client):
    summary = json.loads(cli("demo", "--json").output)

    for role in ("owner", "staff"):
        login = summary[role]
        assert logs_in(new_client, login["email"], login["password"]), role
        assert not logs_in(new_client, login["email"], login["password"] + "x"), role


def test_the_printed_card_urls_open_the_demo_shop(cli, new_client):
    summary = json.loads(cli("demo", "--json").output)

    for url in summary["table_cards"][:1] + summary["personal_cards"][:1]:
        response = new_client().get(url.removeprefix(BASE_URL))
        assert response.status_code == 200
        assert "Tabby Demo Café" in response.get_data(as_text=True)


def test_demo_if_empty_does_nothing_when_a_shop_exists(cli, cafe, in_app):
    before = counts(in_app)

    result = cli("demo", "--if-empty")

    assert result.exit_code == 0, result.output
    assert counts(in_app) == before
    assert count(in_app, Shop, Shop.slug == "demo") == 0


def test_demo_if_empty_seeds_an_empty_database(cli, in_app):
    result = cli("demo", "--if-empty")

    assert result.exit_code == 0, result.output
    assert count(in_app, Shop, Shop.slug == "demo") == 1


# -- shop create ---------------------------------------------------------------------


def test_shop_create_makes_a_shop_and_its_cards(cli, in_app):
    result = cli(
        "shop",
        "create",
        "--slug",
        "corner-cafe",
        "--name",
        "  The Corner   Café ",
        "--currency",
        "gbp",
        "--locale",
        "en_GB",
        "--timezone",
        "Europe/London",
        "--note",
        "Card only.",
        "--tables",
        2,
        "--cards",
        3,
    )

    assert result.exit_code == 0, result.output
    shop = in_app(lambda: db.session.execute(select(Shop)).scalar_one())
    assert (shop.slug, shop.name, shop.currency, shop.locale, shop.timezone) == (
        "corner-cafe",
        "The Corner Café",
        "GBP",
        "en_GB",
        "Europe/London",
    )
    assert shop.service_note == "Card only."
    assert count(in_app, TokenCard, TokenCard.shop_id == shop.id, TokenCard.kind == "table") == 2
    assert count(in_app, TokenCard, TokenCard.shop_id == shop.id, TokenCard.kind == "personal") == 3
    codes = in_app(lambda: list(db.session.execute(select(TokenCard.code)).scalars()))
    for code in codes:
        assert f"{BASE_URL}/t/{code}" in result.output


def test_shop_create_without_cards_makes_none(cli, in_app):
    result = cli("shop", "create", "--slug", "bare", "--name", "Bare", "--currency", "USD")

    assert result.exit_code == 0, result.output
    assert count(in_app, Shop) == 1
    assert count(in_app, TokenCard) == 0


GOOD_SHOP = {"--slug": "new-shop", "--name": "New Shop", "--currency": "EUR"}


@pytest.mark.parametrize(
    "change, message",
    [
        ({"--currency": "XYZ"}, "XYZ is not an ISO 4217 currency code"),
        ({"--slug": "Bad Slug!"}, "slug must be"),
        ({"--timezone": "Mars/Olympus_Mons"}, "Unknown timezone 'Mars/Olympus_Mons'"),
        ({"--locale": "xx_NOPE"}, "Unknown locale"),
        ({"--name": "   "}, "needs a name"),
        ({"--name": None}, "Missing option '--name'"),
        ({"--currency": None}, "Missing option '--currency'"),
        ({"--tables": "-1"}, "--tables"),
    ],
    ids=[
        "unknown-currency",
        "bad-slug",
        "unknown-timezone",
        "unknown-locale",
        "blank-name",
        "missing-name",
        "missing-currency",
        "negative-tables",
    ],
)
def test_shop_create_refuses_bad_arguments_and_creates_nothing(cli, in_app, change, message):
    options = {**GOOD_SHOP, "--tables": "2", "--cards": "2", **change}
    args = [part for key, value in options.items() if value is not None for part in (key, value)]

    result = cli("shop", "create", *args)

    assert result.exit_code != 0
    assert message in result.output
    assert count(in_app, Shop) == 0
    assert count(in_app, TokenCard) == 0


def test_shop_create_refuses_a_duplicate_slug(cli, create_shop, in_app):
    create_shop(slug="taken")

    result = cli(
        "shop", "create", "--slug", "Taken", "--name", "Another", "--currency", "EUR", "--cards", 2
    )

    assert result.exit_code != 0
    assert "A shop with the slug 'taken' already exists." in result.output
    assert count(in_app, Shop) == 1
    assert count(in_app, TokenCard) == 0


# -- staff add -----------------------------------------------------------------------


def test_staff_add_creates_a_login_that_works(cli, cafe, in_app, new_client):
    result = cli(
        "staff",
        "add",
        "--shop",
        cafe.shop.slug,
        "--email",
        "Barista@Example.com",
        "--name",
        "Bea",
        "--password",
        PASSWORD,
    )

    assert result.exit_code == 0, result.output
    assert "barista@example.com" in result.output
    member = in_app(
        lambda: db.session.execute(
            select(StaffMember).where(StaffMember.email == "barista@example.com")
        ).scalar_one()
    )
    assert (member.shop_id, member.role, member.name, member.active) == (
        cafe.shop.id,
        "staff",
        "Bea",
        True,
    )
    assert member.password_hash != PASSWORD
    assert logs_in(new_client, "barista@example.com", PASSWORD)


def test_staff_add_can_make_an_owner(cli, cafe, in_app):
    result = cli(
        "staff",
        "add",
        "--shop",
        cafe.shop.slug,
        "--email",
        "boss@example.com",
        "--role",
        "owner",
        "--password",
        PASSWORD,
    )

    assert result.exit_code == 0, result.output
    role = in_app(
        lambda: db.session.execute(
            select(StaffMember.role).where(StaffMember.email == "boss@example.com")
        ).scalar_one()
    )
    assert role == "owner"


@pytest.mark.parametrize(
    "change, message",
    [
        ({"--shop": "no-such-shop"}, "no shop with the slug 'no-such-shop'"),
        ({"--password": "short"}, "at least 10 characters"),
        ({"--email": "{existing}"}, "already has a login"),
        ({"--email": "not-an-email"}, "not valid"),
        ({"--email": "two@@example.com"}, "not valid"),
        ({"--role": "admin"}, "--role"),
    ],
    ids=["unknown-shop", "short-password", "duplicate-email", "bad-email", "two-ats", "bad-role"],
)
def test_staff_add_refuses_bad_arguments_and_creates_nothing(cli, cafe, in_app, change, message):
    options = {
        "--shop": cafe.shop.slug,
        "--email": "new.person@example.com",
        "--password": PASSWORD,
        **change,
    }
    options["--email"] = options["--email"].format(existing=cafe.staff.email.upper())
    args = [part for key, value in options.items() for part in (key, value)]
    before = count(in_app, StaffMember)

    result = cli("staff", "add", *args)

    assert result.exit_code != 0
    assert message in result.output
    assert count(in_app, StaffMember) == before
