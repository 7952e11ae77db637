"""Input that was saved wrong or broke after saving (issue 12, item 9): NUL and control
characters in what owners type are cleaned as customer text is; a 1,000-character
timezone is refused; a CR/LF (or any foreign target) in `next` is refused *before*
the staff action is saved; a Stripe event signed but of the wrong shape is refused
and recorded nowhere."""

import json

import pytest
from sqlalchemy import select

from extensions import db
from models import MenuCategory, MenuItem, Shop, StripeEvent
from tests.helpers import load_tab, open_tab
from tests.stripe_standin import WEBHOOK_SECRET, sign

# -- what owners type ------------------------------------------------------------------


@pytest.fixture
def owner(cafe, login):
    return login(cafe.owner)


def test_nul_and_control_characters_in_owner_fields_are_cleaned_before_saving(cafe, owner, in_app):
    assert (
        owner.post_form("/admin/menu/categories", {"name": "Ca\x00kes\x1b[31m"}).status_code == 303
    )
    response = owner.post_form(
        "/admin/menu/items",
        {
            "name": "Lemon\x00 tart\x07",
            "description": "Sharp\x00 and sweet.\r\nServed\x0b cold.\x00",
            "price": "4.20",
            "category": "Ca kes [31m",
            "available": "y",
            "sort": "0",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    settings = {
        "name": "Corner\x00 Café\x7f",
        "currency": "EUR",
        "locale": "en_IE",
        "timezone": "Europe/Dublin",
        "service_note": "Oat milk\x00 free.\r\n\r\n\r\n\r\nNo\x1b dogs.",
    }
    assert owner.post_form("/admin/settings", settings).status_code == 303

    def saved():
        shop = db.session.get(Shop, cafe.shop.id)
        item = db.session.execute(select(MenuItem).where(MenuItem.name.like("Lemon%"))).scalar_one()
        category = db.session.execute(
            select(MenuCategory).where(MenuCategory.shop_id == cafe.shop.id)
        ).scalar_one()
        return (
            shop.name,
            shop.service_note,
            category.name,
            item.name,
            item.description,
            item.category,
        )

    assert in_app(saved) == (
        "Corner Café",
        "Oat milk free.\n\nNo dogs.",
        "Ca kes [31m",
        "Lemon tart",
        "Sharp and sweet.\nServed cold.",
        "Ca kes [31m",
    )


def test_a_thousand_character_timezone_is_refused_and_nothing_changes(cafe, owner, in_app):
    settings = {
        "name": "Renamed",
        "currency": "EUR",
        "locale": "en_IE",
        "timezone": "Europe/" + "x" * 1000,
        "service_note": "",
    }
    response = owner.post_form("/admin/settings", settings)
    assert response.status_code == 400
    assert "Unknown timezone" in response.get_data(as_text=True)
    shop = in_app(lambda: db.session.get(Shop, cafe.shop.id))
    assert (shop.name, shop.timezone) == (cafe.shop.name, "Europe/Dublin")


# -- a `next` that is not ours is refused before acting ------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/staff\r\nSet-Cookie: x=1",
        "/staff/\n",
        "/staff\x00",
        "/staff\\..\\evil",
        "/staff" + "x" * 600,
    ],
)
def test_a_bad_next_is_refused_before_a_staff_order_or_a_walk_out_is_saved(
    cafe, staff_client, phone, in_app, target
):
    public_id = open_tab(phone, cafe.table, "Ana")
    tab = load_tab(in_app, public_id)
    order = staff_client.post_form(
        f"/staff/tabs/{tab.id}/order",
        {"item_id": cafe.flat_white.id, "quantity": "1", "next": target},
    )
    walked = staff_client.post_form(
        f"/staff/tabs/{tab.id}/walked-out", {"reason": "Left without paying", "next": target}
    )
    assert (order.status_code, walked.status_code) == (400, 400)
    assert "not one of ours" in walked.get_data(as_text=True)
    after = load_tab(in_app, public_id)
    assert (after.status, after.lines) == ("open", [])


def test_a_good_next_still_leads_back(cafe, staff_client, phone, in_app):
    public_id = open_tab(phone, cafe.table, "Ana")
    tab = load_tab(in_app, public_id)
    target = f"/staff/tabs/{tab.id}"
    response = staff_client.post_form(
        f"/staff/tabs/{tab.id}/order", {"item_id": cafe.flat_white.id, "next": target}
    )
    assert (response.status_code, response.location) == (303, target)


# -- Stripe events signed but malformed ------------------------------------------------


def deliver_raw(client, payload: bytes):
    return client.post(
        "/stripe/webhook",
        data=payload,
        headers={"Stripe-Signature": sign(payload, WEBHOOK_SECRET)},
        content_type="application/json",
    )


@pytest.mark.parametrize(
    "event",
    [
        {"id": "evt_1", "type": "checkout.session.completed", "data": ["x"]},
        {"id": "evt_2", "type": "checkout.session.completed", "data": {"object": ["x"]}},
        {"id": "evt_3", "type": "checkout.session.completed", "data": {"object": "cs_1"}},
        {"id": "evt_4", "type": "checkout.session.completed", "data": "x"},
        {"id": ["evt_5"], "type": "checkout.session.completed", "data": {"object": {}}},
        {"id": "evt_6", "type": 7, "data": {"object": {}}},
        {"id": "evt\x007", "type": "checkout.session.completed", "data": {"object": {}}},
        {"id": "evt\ud8008", "type": "checkout.session.completed", "data": {"object": {}}},
        {"id": "evt_9", "type": "checkout.session.completed", "data": {"object": {"id": "cs\x00"}}},
        {"id": "evt_10", "type": "x", "data": {"object": {"id": "cs", "metadata": [1]}}},
        {"id": "e" * 300, "type": "checkout.session.completed", "data": {"object": {}}},
    ],
)
def test_a_signed_event_of_the_wrong_shape_is_refused_and_changes_nothing(
    stripe_app, stripe_api, event, in_app
):
    payload = json.dumps(event).encode()
    response = deliver_raw(stripe_app.test_client(), payload)
    assert response.status_code == 400
    assert in_app(lambda: db.session.execute(select(StripeEvent)).scalars().all()) == []


def test_a_signed_event_nested_50000_deep_is_refused(stripe_app, stripe_api):
    for content_type in ("application/json", "text/plain"):
        payload = ("[" * 50_000).encode()
        response = stripe_app.test_client().post(
            "/stripe/webhook",
            data=payload,
            headers={"Stripe-Signature": sign(payload, WEBHOOK_SECRET)},
            content_type=content_type,
        )
        assert response.status_code == 400
