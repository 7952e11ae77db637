"""No dead ends: every refusal a customer can meet (not your tab, card in use, already
paid, unknown or revoked code, expired join link, a form that cannot be done, a GET of
a form's address...) keeps the café's header when the café is known and offers one
next step that works: the phone's receipt, bill or tab, its own tab at the café, its
tabs and receipts, or how to open one.

The refusals are found by walking the URL map: every customer route, with every kind
of argument (this phone's live tab, its paid tab, someone else's, none), by every kind
of phone, by GET and POST. A route added later is walked too.
"""

import itertools
import re

import pytest
from sqlalchemy import select

from extensions import db
from models import Tab, TokenCard
from tests.helpers import open_tab, order
from tests.pay_helpers import invite

CUSTOMER_BLUEPRINTS = ("customer", "payments")
POLLS = ("customer.tab_live", "customer.bill_live")  # JSON for the pages' own fetches
ONWARD = re.compile(r'<a class="button primary block" href="([^"]+)" data-onward="(\w+)">')


@pytest.fixture
def world(cafe, create_card, new_client, staff_client, in_app):
    phones = {who: new_client() for who in ("ana", "cleo", "dan", "stranger")}
    ana = open_tab(phones["ana"], cafe.personal, "Ana")
    order(phones["ana"], ana, cafe.flat_white)
    token = invite(phones["ana"], ana)
    cleo = open_tab(phones["cleo"], cafe.table, "Cleo")
    order(phones["cleo"], cleo, cafe.croissant)
    cleo_id = in_app(lambda: db.session.scalar(select(Tab.id).where(Tab.public_id == cleo)))
    staff_client.get(f"/staff/tabs/{cleo_id}")
    paid = staff_client.post_form(
        f"/staff/tabs/{cleo_id}/payment", {"method": "cash", "amount": "2.80", "tip": ""}
    )
    assert paid.status_code == 303
    open_tab(phones["dan"], cafe.table, "Dan")
    revoked = create_card(cafe.shop, "table", "Table 9", active=False)
    line_id = in_app(lambda: db.session.scalar(select(Tab).where(Tab.public_id == ana)).lines[0].id)
    for phone in phones.values():
        phone.get("/me")  # a page, for the CSRF token
    return {
        "phones": phones,
        "shop": cafe.shop.name,
        "values": {
            "public_id": [ana, cleo, "no-such-tab"],
            "code": [cafe.personal.code, revoked.code, "no-such-card"],
            "token": [token, "no-such-invitation"],
            "line_id": [line_id, 999_999],
            "item_id": [cafe.flat_white.id, 999_999],
        },
    }


def customer_rules(app):
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.split(".", 1)[0]
        walked = rule.endpoint not in (*POLLS, "payments.stripe_webhook")
        if blueprint in CUSTOMER_BLUEPRINTS and walked:
            yield rule


def addresses(rule, values):
    names = sorted(rule.arguments)
    for combination in itertools.product(*(values[name] for name in names)):
        args = dict(zip(names, combination, strict=True))
        path = rule.rule
        for name, value in args.items():
            path = re.sub(rf"<[^>]*:?{name}>", str(value), path)
        yield path, args


def cafe_is_known(in_app, args: dict) -> bool:
    """Whether the address names a café: a tab, a card (revoked too) or a join link
    that exists now (the walk withdraws the link on the way)."""

    def look():
        if "public_id" in args:
            return db.session.scalar(select(Tab.id).where(Tab.public_id == args["public_id"]))
        if "code" in args:
            return db.session.scalar(select(TokenCard.id).where(TokenCard.code == args["code"]))
        if "token" in args:
            return db.session.scalar(select(Tab.id).where(Tab.invite_token == args["token"]))
        return None

    return in_app(look) is not None


def problems_with(response, method: str, phone, path: str, known: bool, shop: str) -> list[str]:
    page = response.get_data(as_text=True)
    if re.search(r'<nav class="back"[^>]*><a href="/tab/', page) and 'role="alert"' in page:
        return []  # the form itself again, saying what was wrong, with its own way back
    onward = ONWARD.findall(page)
    if len(onward) != 1:
        return [f"{len(onward)} ways onward"]
    href, kind = onward[0]
    if method == "GET" and href == path:
        return [f"the way onward ({kind}) is the refused address itself"]
    found = []
    answer = phone.get(href, follow_redirects=True)
    if answer.status_code != 200:
        found.append(f"the way onward ({kind}: {href}) answers {answer.status_code}")
    header = re.search(r'<header class="shop-header">(.*?)</header>', page, re.S)
    if known and (header is None or shop not in header.group(1)):
        found.append("no café header although the café is known")
    return found


def test_every_refusal_a_customer_can_meet_has_a_way_onward(app, world, in_app):
    problems, seen = [], set()
    for rule in customer_rules(app):
        for path, args in addresses(rule, world["values"]):
            for who, phone in world["phones"].items():
                for method in ("GET", "POST"):
                    response = phone.post_form(path) if method == "POST" else phone.get(path)
                    if response.status_code < 400 or response.mimetype != "text/html":
                        continue
                    seen.add(response.status_code)
                    known = cafe_is_known(in_app, args)
                    for problem in problems_with(
                        response, method, phone, path, known, world["shop"]
                    ):
                        problems.append(
                            f"{method} {path} as {who} ({response.status_code}): {problem}"
                        )

    assert not problems, "\n".join(sorted(set(problems)))
    # The walk met each kind of refusal, so it cannot pass by meeting none.
    assert {400, 403, 404, 405, 409} <= seen, seen


def test_a_paid_tabs_pay_button_leads_to_the_receipt(world):
    cleo = world["phones"]["cleo"]
    paid_tab = world["values"]["public_id"][1]

    response = cleo.post_form(f"/tab/{paid_tab}/pay", {"share": "all", "tip": "none"})

    assert (response.status_code, response.location) == (303, f"/tab/{paid_tab}/receipt")
    receipt = cleo.get(response.location).get_data(as_text=True)
    assert "This tab is already paid." in receipt and "Receipt" in receipt


@pytest.mark.parametrize(
    "who, path, kind",
    [
        ("stranger", "/tab/{ana}", "start"),  # not your tab, no tab of its own
        ("dan", "/tab/{ana}", "tab"),  # not your tab, but its own tab is open here
        ("cleo", "/tab/{ana}", "history"),  # not your tab; it has a receipt here
        ("stranger", "/t/{personal}", "start"),  # card in use
        ("dan", "/t/{personal}", "tab"),
        ("ana", "/tab/{ana}/nowhere", "tab"),  # a wrong address: its own tab
        ("cleo", "/nowhere", "history"),
        ("cleo", "/tab/{cleo}/pay", "receipt"),  # a form's address, opened by hand
        ("ana", "/tab/{ana}/pay", "tab"),
        ("ana", "/join/no-such-invitation", "tab"),
    ],
)
def test_the_next_step_fits_who_is_refused(world, who, path, kind):
    ana, cleo, _ = world["values"]["public_id"]
    personal = world["values"]["code"][0]
    page = world["phones"][who].get(path.format(ana=ana, cleo=cleo, personal=personal))

    assert page.status_code >= 400
    [(_, found)] = ONWARD.findall(page.get_data(as_text=True))
    assert found == kind


def test_a_stale_form_keeps_the_header_and_leads_back(world):
    ana = world["phones"]["ana"]
    public_id = world["values"]["public_id"][0]

    response = ana.post(f"/tab/{public_id}/order", data={"csrf_token": "stale"})

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert world["shop"] in page
    assert ONWARD.findall(page) == [(f"/tab/{public_id}", "tab")]


def test_a_card_that_is_no_more_keeps_the_header_of_its_cafe(world):
    revoked = world["values"]["code"][1]
    page = world["phones"]["stranger"].get(f"/t/{revoked}").get_data(as_text=True)
    assert '<header class="shop-header">' in page and world["shop"] in page


def test_an_unknown_code_has_no_cafe_to_show_but_a_way_onward(world):
    page = world["phones"]["stranger"].get("/t/no-such-card").get_data(as_text=True)
    assert '<header class="shop-header">' not in page
    assert ONWARD.findall(page) == [("/", "start")]
