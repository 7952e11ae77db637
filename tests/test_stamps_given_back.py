"""A free item taken back gives its stamps back, exactly what was spent and once: the
line voided, or its loyalty comp replaced by a comp or discount from staff. A free
item handed over stays spent however the tab ends (paid, closed with nothing owed,
walked out). Each return is a ledger row naming the redemption, and an audit entry."""

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import AuditEntry, LoyaltyStamp
from services import stamps
from tests.helpers import load_tab, open_tab, order, phone_id_of, visible_text
from tests.pay_helpers import set_shop, tab_id_of


@pytest.fixture
def stamp_cafe(cafe, in_app):
    """A coffee card: three stamps, one coffee free."""
    set_shop(in_app, cafe.shop, loyalty_every=3, loyalty_categories="Coffee")
    return cafe


@pytest.fixture
def free_coffee(stamp_cafe, phone, in_app):
    """A tab whose phone held 3 stamps and used them on a Flat white (a croissant too).
    Returns (public_id, coffee line id, croissant line id)."""
    public_id = open_tab(phone, stamp_cafe.table)
    give_stamps(in_app, stamp_cafe.shop.id, phone_id_of(phone), 3)
    order(phone, public_id, stamp_cafe.flat_white)
    order(phone, public_id, stamp_cafe.croissant)
    coffee, croissant = (line.id for line in load_tab(in_app, public_id).lines)
    assert phone.post_form(f"/tab/{public_id}/lines/{coffee}/free").status_code == 303
    assert held(in_app, stamp_cafe.shop.id, phone_id_of(phone)) == 0
    return public_id, coffee, croissant


def give_stamps(in_app, shop_id, phone_id, count):
    in_app(
        lambda: db.session.add(
            LoyaltyStamp(shop_id=shop_id, phone_id=phone_id, kind="earned", stamps=count)
        )
    )


def held(in_app, shop_id, phone_id) -> int:
    return in_app(lambda: stamps.balance(shop_id, phone_id, None))


def ledger(in_app, kind):
    return in_app(
        lambda: [
            (row.kind, row.stamps, row.line_id, row.reverses_id)
            for row in db.session.execute(
                select(LoyaltyStamp).where(LoyaltyStamp.kind == kind).order_by(LoyaltyStamp.id)
            ).scalars()
        ]
    )


def returns_in_audit(in_app):
    return in_app(
        lambda: [
            (entry.line_id, entry.staff_id, entry.reason, entry.detail)
            for entry in db.session.execute(
                select(AuditEntry).where(AuditEntry.action == "stamps_returned")
            ).scalars()
        ]
    )


def redeemed_id(in_app, line_id) -> int:
    return in_app(
        lambda: db.session.execute(
            select(LoyaltyStamp.id).where(
                LoyaltyStamp.kind == "redeemed", LoyaltyStamp.line_id == line_id
            )
        ).scalar_one()
    )


def test_voiding_the_free_coffee_gives_its_stamps_back_once(
    free_coffee, stamp_cafe, phone, staff_client, in_app
):
    public_id, coffee, _ = free_coffee
    response = staff_client.post_form(f"/staff/lines/{coffee}/void", {"reason": "not made"})
    assert response.status_code == 303
    assert held(in_app, stamp_cafe.shop.id, phone_id_of(phone)) == 3
    assert ledger(in_app, "returned") == [("returned", 3, coffee, redeemed_id(in_app, coffee))]
    [(line_id, staff_id, reason, detail)] = returns_in_audit(in_app)
    assert (line_id, staff_id, reason) == (coffee, stamp_cafe.staff.id, "not made")
    assert '"stamps": 3' in detail
    # Voided again: refused, and nothing more comes back.
    again = staff_client.post_form(f"/staff/lines/{coffee}/void", {"reason": "twice"})
    assert again.status_code == 409
    assert held(in_app, stamp_cafe.shop.id, phone_id_of(phone)) == 3
    # The stamps are the customer's again, for the next coffee.
    order(phone, public_id, stamp_cafe.flat_white)
    second = load_tab(in_app, public_id).lines[-1].id
    assert phone.post_form(f"/tab/{public_id}/lines/{second}/free").status_code == 303
    assert held(in_app, stamp_cafe.shop.id, phone_id_of(phone)) == 0


def test_staff_comping_the_free_coffee_their_way_gives_the_stamps_back_once(
    free_coffee, stamp_cafe, phone, staff_client, in_app
):
    _, coffee, _ = free_coffee
    response = staff_client.post_form(f"/staff/lines/{coffee}/comp", {"reason": "birthday"})
    assert response.status_code == 303
    assert held(in_app, stamp_cafe.shop.id, phone_id_of(phone)) == 3
    # Then voided: its stamps already came back.
    staff_client.post_form(f"/staff/lines/{coffee}/void", {"reason": "not made"})
    assert held(in_app, stamp_cafe.shop.id, phone_id_of(phone)) == 3
    assert len(ledger(in_app, "returned")) == 1
    assert [reason for _, _, reason, _ in returns_in_audit(in_app)] == ["birthday"]


def test_a_staff_discount_over_the_free_coffee_gives_the_stamps_back(
    free_coffee, stamp_cafe, phone, staff_client, in_app
):
    public_id, coffee, _ = free_coffee
    response = staff_client.post_form(
        f"/staff/lines/{coffee}/discount", {"kind": "percent", "value": "50", "reason": "cold"}
    )
    assert response.status_code == 303
    assert held(in_app, stamp_cafe.shop.id, phone_id_of(phone)) == 3
    assert load_tab(in_app, public_id).lines[0].discount == 190


def test_exactly_what_was_spent_comes_back_after_the_card_changes(
    free_coffee, stamp_cafe, phone, staff_client, in_app
):
    _, coffee, _ = free_coffee
    set_shop(in_app, stamp_cafe.shop, loyalty_every=5)
    staff_client.post_form(f"/staff/lines/{coffee}/void", {"reason": "not made"})
    assert held(in_app, stamp_cafe.shop.id, phone_id_of(phone)) == 3


def test_voiding_a_line_that_was_not_free_gives_nothing(
    free_coffee, stamp_cafe, phone, staff_client, in_app
):
    _, _, croissant = free_coffee
    staff_client.post_form(f"/staff/lines/{croissant}/void", {"reason": "sold out"})
    assert held(in_app, stamp_cafe.shop.id, phone_id_of(phone)) == 0
    assert ledger(in_app, "returned") == []
    assert returns_in_audit(in_app) == []


def test_a_walk_out_keeps_the_free_coffee_spent(
    free_coffee, stamp_cafe, phone, staff_client, in_app
):
    public_id, _, _ = free_coffee
    tab_id = tab_id_of(in_app, public_id)
    response = staff_client.post_form(f"/staff/tabs/{tab_id}/walked-out", {"reason": "left"})
    assert response.status_code == 303
    assert held(in_app, stamp_cafe.shop.id, phone_id_of(phone)) == 0
    assert ledger(in_app, "returned") == []


def test_a_tab_closed_with_only_the_free_coffee_keeps_it_spent(
    free_coffee, stamp_cafe, phone, staff_client, in_app
):
    public_id, _, croissant = free_coffee
    staff_client.post_form(f"/staff/lines/{croissant}/void", {"reason": "sold out"})
    tab_id = tab_id_of(in_app, public_id)
    response = staff_client.post_form(f"/staff/tabs/{tab_id}/close", {"reason": ""})
    assert response.status_code == 303, response.get_data(as_text=True)
    assert load_tab(in_app, public_id).status == "void"
    assert held(in_app, stamp_cafe.shop.id, phone_id_of(phone)) == 0


def test_the_database_takes_one_return_per_redemption(free_coffee, stamp_cafe, phone, in_app):
    _, coffee, _ = free_coffee
    spent = redeemed_id(in_app, coffee)

    def give_back_twice():
        for _ in range(2):
            db.session.add(
                LoyaltyStamp(
                    shop_id=stamp_cafe.shop.id,
                    phone_id=phone_id_of(phone),
                    kind="returned",
                    stamps=3,
                    reverses_id=spent,
                )
            )
            db.session.flush()

    with pytest.raises(IntegrityError):
        in_app(give_back_twice)


def test_the_owner_reads_the_return_in_the_audit(free_coffee, stamp_cafe, staff_client, login):
    _, coffee, _ = free_coffee
    staff_client.post_form(f"/staff/lines/{coffee}/void", {"reason": "not made"})
    owner = login(stamp_cafe.owner)
    page = visible_text(owner.get("/admin/audit").get_data(as_text=True))
    assert "Stamps given back" in page
    assert "stamps: 3" in page
    korean = visible_text(owner.get("/admin/audit?lang=ko").get_data(as_text=True))
    assert "스탬프 반환" in korean
    assert "스탬프: 3" in korean
