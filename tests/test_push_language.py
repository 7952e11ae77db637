"""Every push comes in the language the phone read its tab page in when it subscribed
(its choice on the page, else its browser's Accept-Language): "ready", the receipt,
a staff reminder to pay and the idle "still here?", which the dispatcher sends outside
any request. Read as the local push service decrypted them."""

import pytest
from sqlalchemy import select

from extensions import db
from models import PushSubscription
from tests.helpers import load_tab, open_tab, order, subscribe_push
from tests.pay_helpers import invite, join, set_shop, tab_id_of


@pytest.fixture
def korean_phone(cafe, phone, push_service, in_app):
    """Ana's tab, a Flat white ordered, her phone reading the tab in Korean and
    subscribed. Returns the tab's public id."""
    set_shop(in_app, cafe.shop, idle_minutes=45)
    public_id = open_tab(phone, cafe.table, "Ana")
    assert phone.get(f"/tab/{public_id}?lang=ko").status_code == 200
    order(phone, public_id, cafe.flat_white)
    assert subscribe_push(phone, public_id, push_service.subscription()).status_code == 200
    return public_id


def languages(in_app) -> list[str]:
    return in_app(
        lambda: list(
            db.session.execute(
                select(PushSubscription.language).order_by(PushSubscription.id)
            ).scalars()
        )
    )


def serve(staff_client, in_app, public_id, status="served"):
    for line in load_tab(in_app, public_id).lines:
        response = staff_client.post_json(f"/staff/lines/{line.id}/status", {"status": status})
        assert response.status_code == 200


def test_the_idle_still_here_comes_in_korean(
    korean_phone, staff_client, dispatcher, push_clock, push_service, in_app
):
    serve(staff_client, in_app, korean_phone)
    push_clock.advance(46 * 60)
    dispatcher.run_once()
    [payload] = push_service.payloads()
    assert payload["body"] == "아직 계신가요? 탭이 열려 있어요: €3.80."


def test_ready_reminder_and_receipt_come_in_korean(
    korean_phone, staff_client, dispatcher, push_service, in_app
):
    serve(staff_client, in_app, korean_phone, "ready")
    dispatcher.run_once()
    tab_id = tab_id_of(in_app, korean_phone)
    assert staff_client.post_form(f"/staff/tabs/{tab_id}/remind").status_code == 303
    dispatcher.run_once()
    response = staff_client.post_form(
        f"/staff/tabs/{tab_id}/payment", {"amount": "3.80", "tip": "", "method": "cash"}
    )
    assert response.status_code == 303
    dispatcher.run_once()
    bodies = [payload["body"] for payload in push_service.payloads()]
    assert "Flat white 나왔어요" in bodies
    assert "탭이 아직 열려 있어요: €3.80. 눌러서 계산서를 확인하세요." in bodies
    assert "감사합니다. 영수증이에요" in bodies
    assert not any("ready" in body or "receipt" in body for body in bodies)


def test_the_browsers_language_counts_when_the_phone_chose_none(
    cafe, new_client, push_service, staff_client, dispatcher, in_app
):
    phone = new_client()
    phone.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ko-KR,ko;q=0.9,en;q=0.5"
    public_id = open_tab(phone, cafe.table, "Bo")
    order(phone, public_id, cafe.croissant)
    assert subscribe_push(phone, public_id, push_service.subscription()).status_code == 200
    assert languages(in_app) == ["ko"]
    serve(staff_client, in_app, public_id, "ready")
    dispatcher.run_once()
    [payload] = push_service.payloads()
    assert payload["body"] == "Butter croissant 나왔어요"


def test_each_phone_on_a_tab_is_told_in_its_own_language(
    korean_phone, phone, new_client, staff_client, dispatcher, push_service, in_app
):
    friend = new_client()
    assert join(friend, invite(phone, korean_phone), "Cy").status_code == 303
    assert subscribe_push(friend, korean_phone, push_service.subscription()).status_code == 200
    assert languages(in_app) == ["ko", "en"]
    serve(staff_client, in_app, korean_phone, "ready")
    dispatcher.run_once()
    bodies = sorted(payload["body"] for payload in push_service.payloads())
    assert bodies == ["Flat white 나왔어요", "Your Flat white is ready"]


def test_the_same_browser_subscribing_again_after_switching_keeps_the_new_language(
    korean_phone, phone, push_service, in_app
):
    again = push_service.subscription()
    assert subscribe_push(phone, korean_phone, again).status_code == 200
    assert languages(in_app) == ["ko", "ko"]
    assert phone.get(f"/tab/{korean_phone}?lang=en").status_code == 200
    assert subscribe_push(phone, korean_phone, again).status_code == 200
    assert languages(in_app) == ["ko", "en"]


def test_ordering_in_another_language_moves_the_phones_messages_to_it(
    korean_phone, cafe, phone, staff_client, dispatcher, push_service, in_app
):
    assert phone.get(f"/tab/{korean_phone}?lang=en").status_code == 200
    order(phone, korean_phone, cafe.croissant)
    assert languages(in_app) == ["en"]
    serve(staff_client, in_app, korean_phone, "ready")
    dispatcher.run_once()
    [payload] = push_service.payloads()
    assert payload["body"] == "Your Flat white and Butter croissant are ready"
