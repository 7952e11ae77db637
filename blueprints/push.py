"""Web Push, the phone's side: the service worker script and (un)subscribing a tab.

The subscribe calls are JSON posts from static/js/push.js, CSRF-protected by the
X-CSRFToken header the page sends from its csrf-token meta tag.
"""

from flask import Blueprint, current_app, jsonify, request
from flask_babel import get_locale

from blueprints.customer import my_tab, phone_id
from blueprints.pwa import service_worker_script
from extensions import db, limiter
from services import Refused, unit_of_work
from services import push as push_service

bp = Blueprint("push", __name__)


@bp.get("/sw.js")
def service_worker():
    """Served from the root so its scope can be the whole site, with the release its
    offline caches are named after written in."""
    response = current_app.response_class(
        service_worker_script(), mimetype="application/javascript"
    )
    response.headers["Service-Worker-Allowed"] = "/"
    # Browsers check for a new worker on navigation; never let a cache hide one.
    response.headers["Cache-Control"] = "no-cache"
    return response


def _json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Refused("Send the subscription as JSON.")
    return data


@bp.post("/tab/<token:public_id>/push")
@limiter.limit(
    lambda: current_app.config["RATELIMIT_PUSH_SUBSCRIBE"],
    key_func=lambda: f"push:{request.view_args['public_id']}",
)
def subscribe(public_id: str):
    tab = my_tab(public_id, with_lines=False)
    data = _json_body()
    # Checking the endpoint resolves its name: never while holding a transaction
    # (on SQLite a POST's transaction holds the write lock).
    db.session.rollback()
    checked = push_service.parse_subscription(data)
    # The language this phone reads the tab in (web/i18n.py): its messages come in it.
    language = str(get_locale() or "en")
    with unit_of_work():
        push_service.subscribe(tab, phone_id(), checked, language)
    return jsonify(ok=True, message="We'll tell this phone when your order is ready.")


@bp.post("/tab/<token:public_id>/push/unsubscribe")
def unsubscribe(public_id: str):
    tab = my_tab(public_id, with_lines=False)
    data = _json_body()
    with unit_of_work():
        removed = push_service.unsubscribe(tab, data.get("endpoint"))
    return jsonify(ok=True, removed=removed, message="Notifications are off for this tab.")
