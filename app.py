"""Tabby: pay-after tabs. `create_app` builds the web app from small register_* steps;
nothing here touches the schema (that is `flask db upgrade`) or seeds data (that is
`flask demo`)."""

import logging

from flask import Flask
from flask_babel import lazy_gettext
from flask_login import current_user
from limits import parse_many
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import BaseConverter, IntegerConverter

from config import (
    Config,
    ConfigError,
    check_vapid_subject,
    secret_key_from_instance,
    vapid_key_from_instance,
)
from extensions import csrf, db, limiter, login_manager, migrate
from live.answers import LiveAnswers
from money import format_money, format_plain
from services import MAX_ID
from web import bodies, database, errors, headers, i18n, static

RATE_LIMITS = (
    "RATELIMIT_CARD_SCAN",
    "RATELIMIT_TAB_OPEN",
    "RATELIMIT_LOGIN_ACCOUNT",
    "RATELIMIT_LOGIN_ADDRESS",
    "RATELIMIT_ORDER",
    "RATELIMIT_PUSH_SUBSCRIBE",
)


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    register_config(app, config)
    register_extensions(app)
    bodies.register(app)
    i18n.register(app)
    database.register(app)
    register_url_converters(app)
    register_blueprints(app)
    errors.register(app)
    register_template_helpers(app)
    headers.register(app)
    static.register_versions(app)
    static.register_compression(app)
    register_commands(app)
    register_push(app)
    register_wsgi_layers(app)
    return app


def register_config(app: Flask, overrides: dict | None) -> None:
    app.config.from_mapping(Config(app.instance_path).as_dict())
    if overrides:
        app.config.update(overrides)
    for name in RATE_LIMITS:
        try:
            parse_many(app.config[name])
        except ValueError as error:
            # Caught at start-up: a typo here must not surface as failing requests.
            raise ValueError(f"{name}={app.config[name]!r} is not a rate limit: {error}") from None
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key_from_instance(app.instance_path)
    logging.basicConfig(level=app.config["LOG_LEVEL"])


def register_wsgi_layers(app: Flask) -> None:
    """What sits in front of Flask. ProxyFix is outermost, so the live layer sees the
    scheme and host the phone used."""
    app.wsgi_app = LiveAnswers(app, app.wsgi_app)
    if app.config["PROXY_COUNT"]:
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db)
    csrf.init_app(app)
    # Not Flask-Login's own context processor: it loads the user for every template,
    # and on a customer's page that runs session protection, which rewrites the
    # session cookie on every view. Handing templates the lazy proxy loads the user
    # only where a template asks (staff and owner pages).
    login_manager.init_app(app, add_context_processor=False)
    app.context_processor(lambda: {"current_user": current_user})
    limiter.init_app(app)
    login_manager.login_view = "staff.login"
    login_manager.login_message = lazy_gettext("Please log in to see the counter.")
    login_manager.session_protection = "strong"


class IdConverter(IntegerConverter):
    """`<id:…>`: a row id. Anything outside the column's range is a 404 before any
    query runs."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=MAX_ID)


class TokenConverter(BaseConverter):
    """`<token:…>`: a card code or tab id, URL-safe base64 only."""

    regex = r"[A-Za-z0-9_-]{1,64}"


def register_url_converters(app: Flask) -> None:
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["token"] = TokenConverter


def register_blueprints(app: Flask) -> None:
    from blueprints import admin, customer, health, payments, photos, push, pwa, staff, tickets

    app.register_blueprint(health.bp)
    app.register_blueprint(pwa.bp)
    app.register_blueprint(customer.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(tickets.bp)
    app.register_blueprint(payments.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(push.bp)
    app.register_blueprint(photos.bp)


def register_template_helpers(app: Flask) -> None:
    from models.payment import METHOD_LABELS
    from models.tab import DEPOSIT_LABELS, LINE_LABELS, TAB_LABELS

    app.jinja_env.filters["local_time"] = i18n.local_time
    app.jinja_env.filters["age"] = i18n.age
    app.jinja_env.globals.update(
        format_money=format_money,
        format_plain=format_plain,
        line_label=LINE_LABELS.get,
        tab_label=TAB_LABELS.get,
        deposit_label=DEPOSIT_LABELS.get,
        method_label=lambda method: METHOD_LABELS.get(method, method),
    )

    @app.context_processor
    def poll_interval():
        return {"poll_interval_ms": app.config["POLL_INTERVAL_MS"]}


def register_commands(app: Flask) -> None:
    from cli import demo_command, menu_cli, push_cli, shop_cli, staff_cli

    app.cli.add_command(demo_command)
    app.cli.add_command(push_cli)
    app.cli.add_command(menu_cli)
    app.cli.add_command(shop_cli)
    app.cli.add_command(staff_cli)


def register_push(app: Flask) -> None:
    """Web Push keys and sender. A bad subject or key stops start-up with a message
    saying what to fix, rather than every notification failing later."""
    from services.push import KIND_LABELS
    from services.push_dispatch import load_vapid, public_key, start_thread

    app.jinja_env.globals["push_kind_label"] = KIND_LABELS.get
    app.config["VAPID_SUBJECT"] = check_vapid_subject(app.config["VAPID_SUBJECT"])
    if not app.config.get("VAPID_PRIVATE_KEY"):
        app.config["VAPID_PRIVATE_KEY"] = vapid_key_from_instance(app.instance_path)
    app.config["VAPID_PUBLIC_KEY"] = public_key(load_vapid(app.config["VAPID_PRIVATE_KEY"]))

    mode = app.config["PUSH_DISPATCHER"]
    if mode not in ("thread", "off"):
        raise ConfigError(f"PUSH_DISPATCHER must be 'thread' or 'off', not {mode!r}")
    if mode == "off":
        return

    # Started by the first request a process serves, so CLI commands (`flask db
    # upgrade`, `flask push worker`) and the reloader's watching parent never run
    # one, and each gunicorn worker starts its own after forking.
    started = False

    @app.before_request
    def start_push_dispatcher():
        nonlocal started
        if not started:
            start_thread(app)
            started = True
