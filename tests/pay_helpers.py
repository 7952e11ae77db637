"""Helpers shared by the paying tests (tips, deposit, sharing, splitting)."""

import html
import re

from sqlalchemy import select

from extensions import db
from models import PayRequest, Shop, Tab, TabMember


def set_shop(in_app, shop, **values):
    def change():
        row = db.session.get(Shop, shop.id)
        for key, value in values.items():
            setattr(row, key, value)

    in_app(change)


def tab_id_of(in_app, public_id: str) -> int:
    return in_app(lambda: db.session.scalar(select(Tab.id).where(Tab.public_id == public_id)))


def invite(owner, public_id: str) -> str:
    """The owner taps "Show a join code"; returns the join link's token."""
    response = owner.post_form(f"/tab/{public_id}/invite")
    assert response.status_code == 303, response.get_data(as_text=True)
    page = owner.get(f"/tab/{public_id}/invite").get_data(as_text=True)
    return re.search(r'href="http://localhost/join/([A-Za-z0-9_-]+)"', page).group(1)


def join(friend, token: str, name: str = ""):
    friend.get(f"/join/{token}")
    return friend.post_form(f"/join/{token}", {"name": name})


def ask_to_pay(phone, public_id: str, share: str = "all", tip: str = "none", custom_tip=""):
    phone.get(f"/tab/{public_id}/bill")
    return phone.post_form(
        f"/tab/{public_id}/pay", {"share": share, "tip": tip, "custom_tip": custom_tip}
    )


def asked_on_staff_page(staff, tab_id: int) -> dict[str, dict]:
    """What each phone asked to pay, as the staff page's payment panel fills it in:
    {name: {request_id, amount, tip}} (each request picked in turn with ?for=)."""
    page = staff.get(f"/staff/tabs/{tab_id}").get_data(as_text=True)
    keys = [key for key in re.findall(r'data-choice="([^"]+)"', page) if key != "all"] or [None]
    rows = {}
    for key in keys:
        if key is not None:
            page = staff.get(f"/staff/tabs/{tab_id}?for={key}").get_data(as_text=True)
        form = re.search(r"<form[^>]*data-pay-form.*?</form>", page, re.S)
        if form is None:
            continue
        values = dict(re.findall(r'name="(request_id|amount|tip)" value="([^"]*)"', form.group(0)))
        if "request_id" in values:
            rows[html.unescape(re.search(r'data-payer="([^"]*)"', form.group(0)).group(1))] = values
    return rows


def take_asked(staff, tab_id: int, asked: dict, method: str = "card"):
    return staff.post_form(f"/staff/tabs/{tab_id}/payment", {**asked, "method": method})


def pay_requests(in_app, tab_id: int) -> list[tuple]:
    return in_app(
        lambda: [
            (r.share, r.tip_percent, r.tip_amount, r.paid_at is not None)
            for r in db.session.execute(
                select(PayRequest).where(PayRequest.tab_id == tab_id).order_by(PayRequest.id)
            ).scalars()
        ]
    )


def members(in_app, tab_id: int) -> list[tuple]:
    return in_app(
        lambda: [
            (m.name, m.live_phone_id is not None)
            for m in db.session.execute(
                select(TabMember).where(TabMember.tab_id == tab_id).order_by(TabMember.id)
            ).scalars()
        ]
    )
