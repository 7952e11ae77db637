"""The phone remembers its tabs without an account: a signed device cookie, a
history page of its own tabs at every café, and returning phones in the report."""

from datetime import datetime
from zoneinfo import ZoneInfo

from extensions import db
from live import PHONE_COOKIE  # noqa: E402
from models import Tab, TabMember
from tests.helpers import load_tab, open_tab, order, phone_id_of
from tests.pay_helpers import invite, join, tab_id_of

NEW_YORK = ZoneInfo("America/New_York")


def staff_takes(staff, tab_id: int, amount: str):
    staff.get(f"/staff/tabs/{tab_id}")
    response = staff.post_form(
        f"/staff/tabs/{tab_id}/payment", {"method": "cash", "amount": amount, "tip": "0"}
    )
    assert response.status_code == 303, response.get_data(as_text=True)


def test_the_cookie_is_signed_httponly_lax_and_long_lived(cafe, phone):
    phone.get(f"/t/{cafe.table.code}")
    response = phone.post_form(f"/t/{cafe.table.code}", {"customer_name": ""})

    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(PHONE_COOKIE))
    value = header.split(";")[0].split("=", 1)[1]
    phone_id, signature = value.rsplit(".", 1)
    assert len(phone_id) >= 22 and signature
    attributes = [part.strip().lower() for part in header.split(";")]
    assert "httponly" in attributes and "samesite=lax" in attributes
    assert f"max-age={400 * 24 * 3600}" in attributes


def test_a_forged_signature_is_a_new_phone(cafe, new_client, in_app):
    ana = new_client()
    public_id = open_tab(ana, cafe.table, "Ana")
    ana_id = phone_id_of(ana)

    mallory = new_client()
    mallory.set_cookie(PHONE_COOKIE, f"{ana_id}.not-the-signature")
    assert mallory.get(f"/tab/{public_id}").status_code == 403
    assert "Ana" not in mallory.get("/me").get_data(as_text=True)

    # Opening a tab gives the forger a fresh phone of its own.
    open_tab(mallory, cafe.personal, "Mal")
    assert phone_id_of(mallory) != ana_id
    assert load_tab(in_app, public_id).phone_id == ana_id


def test_a_bare_phone_id_without_its_signature_opens_nothing(cafe, new_client, in_app):
    ana = new_client()
    public_id = open_tab(ana, cafe.table, "Ana")
    order(ana, public_id, cafe.flat_white)
    raw = phone_id_of(ana)

    copier = new_client()
    copier.set_cookie(PHONE_COOKIE, raw)

    assert copier.get(f"/tab/{public_id}").status_code == 403
    assert copier.get(f"/tab/{public_id}/bill").status_code == 403
    assert copier.get(f"/tab/{public_id}/receipt").status_code == 403
    assert "Ana" not in copier.get("/me").get_data(as_text=True)
    assert copier.get_cookie(PHONE_COOKIE).value == raw  # not adopted, not re-signed
    assert load_tab(in_app, public_id).phone_id == raw


def test_an_unsigned_cookie_nobody_knows_is_no_phone(cafe, new_client):
    stranger = new_client()
    stranger.set_cookie(PHONE_COOKIE, "A" * 43)
    stranger.get("/me")
    assert stranger.get_cookie(PHONE_COOKIE).value == "A" * 43  # not adopted, not re-issued
    open_tab(stranger, cafe.table)
    assert phone_id_of(stranger) != "A" * 43


def test_history_lists_own_and_joined_tabs_at_every_shop_and_nothing_else(
    cafe, other_cafe, new_client, login, in_app
):
    ana, ben, cleo = new_client(), new_client(), new_client()
    first = open_tab(ana, cafe.table, "Ana")
    order(ana, first, cafe.flat_white)
    staff_takes(login(cafe.staff), tab_id_of(in_app, first), "3.80")
    elsewhere = open_tab(ana, other_cafe.table, "Ana")
    bens = open_tab(ben, cafe.table, "Ben")
    join(ana, invite(ben, bens), "Ana")
    cleos = open_tab(cleo, cafe.personal, "Cleo")

    page = ana.get("/me").get_data(as_text=True)

    assert page.count('class="history-tab"') == 3
    for public_id in (first, elsewhere, bens):
        assert f'data-tab="{public_id}"' in page
    assert cleos not in page
    assert cafe.shop.name in page and other_cafe.shop.name in page
    assert f'href="/tab/{first}/receipt"' in page
    assert f'href="/tab/{elsewhere}"' in page
    assert "€3.80" in page

    cleo_page = cleo.get("/me").get_data(as_text=True)
    assert cleo_page.count('class="history-tab"') == 1 and first not in cleo_page


def test_a_phone_without_tabs_sees_an_empty_history(client):
    page = client.get("/me").get_data(as_text=True)
    assert "No tabs on this phone yet" in page


def test_history_is_linked_from_the_start_and_tab_pages(cafe, phone, client):
    assert 'href="/me"' in client.get("/").get_data(as_text=True)
    public_id = open_tab(phone, cafe.table)
    assert 'href="/me"' in phone.get(f"/tab/{public_id}").get_data(as_text=True)


# -- returning phones in the owner's report ------------------------------------------


def put_visit(in_app, shop_id: int, phone: str, local: str, *, member_of: int | None = None):
    """A tab opened by `phone` (or `phone` joining tab `member_of`) at New York time."""
    moment = datetime.fromisoformat(local).replace(tzinfo=NEW_YORK)

    def build():
        if member_of is not None:
            db.session.add(
                TabMember(shop_id=shop_id, tab_id=member_of, phone_id=phone, joined_at=moment)
            )
            return member_of
        tab = Tab(shop_id=shop_id, currency="USD", phone_id=phone, status="void", opened_at=moment)
        tab.closed_at = moment
        db.session.add(tab)
        db.session.flush()
        return tab.id

    return in_app(build)


def figures(owner, day: str) -> tuple[str, str]:
    page = owner.get(f"/admin/day?from={day}&to={day}").get_data(as_text=True)

    def figure(name):
        start = page.index(f'id="figure-{name}">') + len(f'id="figure-{name}">')
        return page[start : page.index("<", start)]

    return figure("returning-phones"), figure("new-phones")


def test_returning_phones_are_counted_by_the_shops_days(make_shop, login, in_app):
    ny = make_shop(currency="USD", locale="en_US", timezone="America/New_York")
    shop_id = ny.shop.id
    # 23:30 in New York on the 9th is already the 10th in UTC: still the day before.
    put_visit(in_app, shop_id, "p" * 22 + "back", "2024-07-09T23:30")
    put_visit(in_app, shop_id, "p" * 22 + "back", "2024-07-10T12:00")
    # Only on the 10th (twice): new, counted once.
    put_visit(in_app, shop_id, "p" * 22 + "new1", "2024-07-10T00:30")
    friends_tab = put_visit(in_app, shop_id, "p" * 22 + "new1", "2024-07-10T20:00")
    # A friend who had a tab of their own last week joins on the 10th: returning.
    put_visit(in_app, shop_id, "p" * 22 + "frnd", "2024-07-02T09:00")
    put_visit(in_app, shop_id, "p" * 22 + "frnd", "2024-07-10T20:05", member_of=friends_tab)
    # Only before, or only after: not counted on the 10th.
    put_visit(in_app, shop_id, "p" * 22 + "gone", "2024-07-08T10:00")
    put_visit(in_app, shop_id, "p" * 22 + "late", "2024-07-11T00:10")

    owner = login(ny.owner)

    assert figures(owner, "2024-07-10") == ("2", "1")
    assert figures(owner, "2024-07-09") == ("0", "1")
    assert figures(owner, "2024-07-11") == ("0", "1")
    assert figures(owner, "2024-07-01") == ("0", "0")


def test_another_shops_visits_do_not_make_a_phone_returning(make_shop, login, in_app):
    ny = make_shop(currency="USD", locale="en_US", timezone="America/New_York")
    elsewhere = make_shop(currency="USD", locale="en_US", timezone="America/New_York")
    put_visit(in_app, elsewhere.shop.id, "q" * 22, "2024-07-01T10:00")
    put_visit(in_app, ny.shop.id, "q" * 22, "2024-07-10T10:00")

    assert figures(login(ny.owner), "2024-07-10") == ("0", "1")
