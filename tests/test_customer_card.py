"""Scanning a card: what the phone sees before and when it taps "Open my tab"."""

from sqlalchemy import func, select

from extensions import db
from live import PHONE_COOKIE  # noqa: E402
from models import Tab
from tests.helpers import load_tab, open_tab, order, phone_id_of


def tab_count(in_app) -> int:
    return in_app(lambda: db.session.execute(select(func.count(Tab.id))).scalar_one())


def phone_cookie_header(response) -> str:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(PHONE_COOKIE)]
    assert len(headers) == 1, response.headers.getlist("Set-Cookie")
    return headers[0]


# -- looking at a card ----------------------------------------------------------------


def test_a_scan_shows_the_shop_the_card_the_service_note_and_one_button(cafe, phone):
    response = phone.get(f"/t/{cafe.table.code}")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert cafe.shop.name in page
    assert "Table 1" in page
    assert "Table service until 17:00." in page
    assert "Open my tab" in page
    assert f'action="/t/{cafe.table.code}"' in page
    assert "Back to my tab" not in page


def test_looking_at_a_card_creates_nothing(cafe, phone, new_client, in_app):
    for _ in range(3):
        assert phone.get(f"/t/{cafe.table.code}").status_code == 200
    assert new_client().get(f"/t/{cafe.personal.code}").status_code == 200

    assert tab_count(in_app) == 0


def test_an_unknown_code_gets_a_friendly_404(cafe, phone, in_app):
    response = phone.get("/t/this-code-was-never-printed")

    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "We don't know this code" in page
    assert "Open my tab" not in page

    posted = phone.post_form("/t/this-code-was-never-printed", {"customer_name": "Ana"})
    assert posted.status_code == 404
    assert "We don't know this code" in posted.get_data(as_text=True)
    assert tab_count(in_app) == 0


def test_a_code_with_a_nul_byte_is_an_unknown_code(cafe, phone, in_app):
    response = phone.get(f"/t/{cafe.table.code}%00")

    assert response.status_code == 404
    assert "scan the code again" in response.get_data(as_text=True)
    posted = phone.post_form(f"/t/{cafe.table.code}%00", {"customer_name": "Ana"})
    assert posted.status_code == 404
    assert tab_count(in_app) == 0


def test_a_revoked_card_gets_a_friendly_404_and_opens_nothing(cafe, create_card, phone, in_app):
    revoked = create_card(cafe.shop, "table", "Old table 7", active=False)

    response = phone.get(f"/t/{revoked.code}")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "no longer in use" in page
    assert "Open my tab" not in page
    assert "Old table 7" not in page

    posted = phone.post_form(f"/t/{revoked.code}", {"customer_name": "Ana"})
    assert posted.status_code == 404
    assert "no longer in use" in posted.get_data(as_text=True)
    assert tab_count(in_app) == 0


# -- opening a tab ----------------------------------------------------------------------


def test_open_my_tab_opens_a_tab_and_goes_to_it(cafe, phone, in_app):
    phone.get(f"/t/{cafe.table.code}")
    response = phone.post_form(f"/t/{cafe.table.code}", {"customer_name": "  Ana   Maria "})

    assert response.status_code == 303
    assert response.location.startswith("/tab/")
    public_id = response.location.rsplit("/tab/", 1)[1]
    tab = load_tab(in_app, public_id)
    assert tab.shop_id == cafe.shop.id
    assert tab.card_id == cafe.table.id
    assert tab.status == "open"
    assert tab.currency == "EUR"
    assert tab.customer_name == "Ana Maria"
    assert tab_count(in_app) == 1

    page = phone.get(response.location)
    assert page.status_code == 200
    assert "Ana Maria" in page.get_data(as_text=True)


def test_control_characters_in_the_name_are_dropped(cafe, phone, in_app):
    public_id = open_tab(phone, cafe.table, "Ana\x00\x07Maria\x1b")

    assert load_tab(in_app, public_id).customer_name == "Ana Maria"


def test_the_name_is_optional(cafe, phone, in_app):
    public_id = open_tab(phone, cafe.table)

    assert load_tab(in_app, public_id).customer_name == ""


def test_opening_a_tab_remembers_the_phone_in_a_long_lived_httponly_lax_cookie(cafe, phone, in_app):
    phone.get(f"/t/{cafe.table.code}")
    response = phone.post_form(f"/t/{cafe.table.code}", {"customer_name": "Ana"})

    header = phone_cookie_header(response)
    attributes = [part.strip().lower() for part in header.split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/" in attributes
    max_age = next(int(a.split("=", 1)[1]) for a in attributes if a.startswith("max-age="))
    assert max_age >= 365 * 24 * 3600

    value = phone_id_of(phone)
    public_id = response.location.rsplit("/tab/", 1)[1]
    assert load_tab(in_app, public_id).phone_id == value


def test_a_name_over_40_characters_is_refused_and_opens_nothing(cafe, phone, in_app):
    phone.get(f"/t/{cafe.table.code}")
    response = phone.post_form(f"/t/{cafe.table.code}", {"customer_name": "A" * 41})

    assert response.status_code == 400
    assert "at most 40 characters" in response.get_data(as_text=True)
    assert tab_count(in_app) == 0


def test_a_name_of_exactly_40_characters_is_fine(cafe, phone, in_app):
    public_id = open_tab(phone, cafe.table, "B" * 40)

    assert load_tab(in_app, public_id).customer_name == "B" * 40


# -- scanning again -----------------------------------------------------------------------


def test_a_phone_with_a_live_tab_is_taken_back_to_it(cafe, phone, in_app):
    public_id = open_tab(phone, cafe.table, "Ana")

    response = phone.get(f"/t/{cafe.table.code}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Back to my tab" in page
    assert f'href="/tab/{public_id}"' in page
    assert "Open my tab" not in page

    again = phone.post_form(f"/t/{cafe.table.code}", {"customer_name": "Ana"})
    assert again.status_code == 303
    assert again.location == f"/tab/{public_id}"
    assert tab_count(in_app) == 1


def test_another_table_card_in_the_same_shop_also_leads_back_to_the_live_tab(
    cafe, create_card, phone, in_app
):
    public_id = open_tab(phone, cafe.table, "Ana")
    table_two = create_card(cafe.shop, "table", "Table 2")

    assert "Back to my tab" in phone.get(f"/t/{table_two.code}").get_data(as_text=True)
    assert open_tab(phone, table_two) == public_id
    assert tab_count(in_app) == 1


def test_a_different_phone_on_the_same_table_card_gets_its_own_tab(cafe, new_client, in_app):
    phone_a, phone_b = new_client(), new_client()
    tab_a = open_tab(phone_a, cafe.table, "Ana")

    page_b = phone_b.get(f"/t/{cafe.table.code}").get_data(as_text=True)
    assert "Open my tab" in page_b
    assert "Back to my tab" not in page_b
    tab_b = open_tab(phone_b, cafe.table, "Ben")

    assert tab_b != tab_a
    assert tab_count(in_app) == 2
    a, b = load_tab(in_app, tab_a), load_tab(in_app, tab_b)
    assert a.phone_id != b.phone_id
    assert (a.customer_name, b.customer_name) == ("Ana", "Ben")


def test_a_phone_scanning_its_own_personal_card_again_goes_back_to_its_tab(cafe, phone, in_app):
    public_id = open_tab(phone, cafe.personal, "Ana")

    response = phone.get(f"/t/{cafe.personal.code}")
    assert response.status_code == 200
    assert "Back to my tab" in response.get_data(as_text=True)
    assert open_tab(phone, cafe.personal) == public_id
    assert tab_count(in_app) == 1


# -- a personal card in someone else's hands ----------------------------------------------


def test_a_personal_card_in_use_shows_another_phone_a_409_that_reveals_nothing(
    cafe, new_client, in_app
):
    phone_a, phone_b = new_client(), new_client()
    public_id = open_tab(phone_a, cafe.personal, "Zebedee")
    assert order(phone_a, public_id, cafe.flat_white, 2, "extra hot").status_code == 303
    reference = public_id[:6].upper()

    seen = phone_b.get(f"/t/{cafe.personal.code}")
    posted = phone_b.post_form(f"/t/{cafe.personal.code}", {"customer_name": "Ben"})

    for response in (seen, posted):
        assert response.status_code == 409
        page = response.get_data(as_text=True)
        assert "This card is in use" in page
        assert "Open my tab" not in page
        assert "Back to my tab" not in page
        for secret in ("Zebedee", "Flat white", "extra hot", "€7.60", public_id, reference):
            assert secret not in page

    assert tab_count(in_app) == 1
    tab = load_tab(in_app, public_id)
    assert tab.phone_id == phone_id_of(phone_a)
    assert tab.customer_name == "Zebedee"
