"""Languages: Tabby's words follow the customer's language (English, Korean);
money, numbers and times follow the shop's locale, whatever language the words are
in. Also the template filters that write times the shop's way."""

from datetime import UTC, datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_time
from flask import Flask, g, has_request_context, request
from flask_babel import gettext as _
from jinja2 import pass_context
from werkzeug.datastructures import LanguageAccept

from extensions import babel


@pass_context
def local_time(context, value: datetime | None, tz: str, fmt: str = "time") -> str:
    """A moment in the shop's timezone, written the way the shop's locale writes it
    ("14:05", "2:05 PM", "오후 2:05"): `fmt` is "time", "datetime" or a strftime layout."""
    if value is None:
        return ""
    shop = context.get("shop")
    locale = (getattr(shop, "locale", None) or "en").replace("-", "_")
    moment = value.astimezone(ZoneInfo(tz))
    if fmt.startswith("%"):
        # A fixed layout asked for by a page not yet following the locale (the day report).
        return moment.strftime(fmt)
    if fmt == "datetime":
        return format_datetime(moment, "short", tzinfo=moment.tzinfo, locale=locale)
    return format_time(moment, "short", tzinfo=moment.tzinfo, locale=locale)


def age(value: datetime | None) -> str:
    if value is None:
        return ""
    minutes = int((datetime.now(UTC) - value).total_seconds() // 60)
    if minutes < 1:
        return _("just now")
    if minutes < 60:
        return _("%(minutes)d min", minutes=minutes)
    return _("%(hours)d h %(minutes)02d min", hours=minutes // 60, minutes=minutes % 60)


# The languages Tabby's own words are shipped in; the first is the fallback.
LANGUAGES = {"en": "English", "ko": "한국어"}
LANGUAGE_COOKIE = "lang"


def chosen_language() -> str:
    """The customer's explicit choice (the switch on the page, kept in a cookie), else
    the best match for the browser's Accept-Language, else English (also outside a
    request: the push dispatcher, CLI commands)."""
    if not has_request_context():
        return "en"
    return pick_language(
        request.args.get(LANGUAGE_COOKIE),
        request.cookies.get(LANGUAGE_COOKIE),
        request.accept_languages,
    )


def pick_language(asked: str | None, cookie: str | None, accept: LanguageAccept) -> str:
    """The one rule, also used before Flask (live/answers.py), where a tab page's
    ETag must name the language Flask would draw it in."""
    for choice in (asked, cookie):
        if choice in LANGUAGES:
            return choice
    return accept.best_match(LANGUAGES) or "en"


def register(app: Flask) -> None:
    """Tabby's words follow the customer's language; money, numbers and times follow
    the shop's locale (money.py, `local_time`), whatever language the words are in."""
    from flask_babel import get_locale

    babel.init_app(app, locale_selector=chosen_language)

    def language_url(code: str) -> str:
        if g.get("language_home"):
            return f"/?{LANGUAGE_COOKIE}={code}"
        args = request.args.to_dict(flat=False)
        args[LANGUAGE_COOKIE] = [code]
        return request.path + "?" + urlencode(args, doseq=True)

    @app.context_processor
    def languages():
        return {
            "current_language": str(get_locale() or "en"),
            "languages": LANGUAGES,
            "language_url": language_url,
        }

    @app.after_request
    def remember_language(response):
        if response.mimetype == "text/html":
            response.vary.add("Accept-Language")
        asked = request.args.get(LANGUAGE_COOKIE)
        if asked in LANGUAGES and request.cookies.get(LANGUAGE_COOKIE) != asked:
            response.set_cookie(
                LANGUAGE_COOKIE,
                asked,
                max_age=365 * 24 * 3600,
                secure=request.is_secure,
                httponly=True,
                samesite="Lax",
            )
        return response
