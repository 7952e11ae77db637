"""Logging in from a back-office page lands back on it; a `next` that leads off the
counter's and back office's own pages (another site, a look-alike path) is ignored."""

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.helpers import PASSWORD


def log_in(client, member, next_value):
    client.get("/staff/login")
    return client.post_form(
        "/staff/login", {"email": member.email, "password": PASSWORD, "next": next_value}
    )


@pytest.mark.parametrize("page", ["/admin/day", "/admin/day?from=2024-07-10&to=2024-07-11"])
def test_an_owner_sent_to_log_in_from_the_day_comes_back_to_it(cafe, new_client, page):
    client = new_client()
    sent = client.get(page)
    assert sent.status_code == 302
    login_url = urlsplit(sent.location)
    assert login_url.path == "/staff/login"
    (next_value,) = parse_qs(login_url.query)["next"]
    assert next_value == page
    form = client.get(sent.location).get_data(as_text=True)
    assert 'name="next" value="' in form

    response = log_in(client, cafe.owner, next_value)

    assert response.status_code == 303
    assert response.location == page
    assert client.get(response.location).status_code == 200


@pytest.mark.parametrize("target", ["/staff", "/staff/tabs/new", "/admin", "/admin/cash-up"])
def test_the_counter_and_back_office_pages_are_places_to_return_to(cafe, new_client, target):
    assert log_in(new_client(), cafe.owner, target).location == target


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/admin/day",
        "//evil.example/admin/day",
        "/\\evil.example/admin",
        "https:/admin/day",
        "javascript:alert(1)//admin",
        "/administrator",
        "/admin\\@evil.example",
        "/staffroom",
        "/tab/abc",
        "",
    ],
)
def test_anywhere_else_is_ignored_and_the_counter_opens(cafe, new_client, target):
    response = log_in(new_client(), cafe.owner, target)
    assert response.status_code == 303
    assert response.location == "/staff"
