"""Path parts that could never name a row are a 404 before any query runs, on
PostgreSQL too (which refuses to compare an integer column with 10**30, or a string
holding NUL)."""

import pytest

from tests.helpers import open_tab

HUGE = [2**31, 10**30]


@pytest.mark.parametrize("number", HUGE)
@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/staff/tabs/{}"),
        ("GET", "/staff/cards/{}/qr.svg"),
        ("POST", "/staff/lines/{}/status"),
        ("POST", "/staff/lines/{}/void"),
        ("POST", "/staff/tabs/{}/order"),
        ("POST", "/staff/tabs/{}/payment"),
        ("POST", "/staff/tabs/{}/close"),
    ],
)
def test_staff_ids_out_of_range_are_not_found(staff_client, method, path, number):
    url = path.format(number)
    if method == "GET":
        response = staff_client.get(url)
    else:
        response = staff_client.post_form(
            url, {"status": "ready", "reason": "x", "item_id": 1, "quantity": 1}
        )
    assert response.status_code == 404


def test_a_card_id_out_of_range_in_a_form_is_not_found(staff_client):
    response = staff_client.post_form("/staff/tabs/new", {"card_id": str(10**30)})
    assert response.status_code == 404


@pytest.mark.parametrize("junk", ["%00", "%20", "%E2%82%AC", "a" * 65])
def test_card_codes_and_tab_ids_with_foreign_characters_are_not_found(cafe, phone, junk):
    public_id = open_tab(phone, cafe.table)

    assert phone.get(f"/t/{junk}").status_code == 404
    assert phone.get(f"/tab/{junk}").status_code == 404
    assert phone.get(f"/tab/{public_id}{junk}/live").status_code == 404
    page = phone.get(f"/t/{cafe.table.code}{junk}").get_data(as_text=True)
    assert "scan the code again" in page
