"""Back office: tab limits, idle reminders and the stamp card (services/trust.py),
and who has been paying (per phone: tabs paid, walk-outs, current limit)."""

from flask import render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from blueprints.admin import bp, done
from blueprints.forms import TrustSettingsForm, first_error
from money import AmountError, format_plain, parse_amount
from services import Refused, trust, unit_of_work
from services.audit import parse_page
from services.menu import categories

TEMPLATE = "admin/trust.html"
AMOUNTS = {
    "tab_limit_first": "first",
    "tab_limit_step": "step",
    "tab_limit_ceiling": "ceiling",
    "walkout_deposit": "walkout_deposit",
}


@bp.route("/settings/trust", methods=["GET", "POST"])
def trust_settings():
    shop = current_user.shop
    if request.method == "GET":
        form = TrustSettingsForm(formdata=None)
        for field in AMOUNTS:
            value = getattr(shop, field)
            form[field].data = (
                "" if value is None else format_plain(value, shop.currency, shop.locale)
            )
        form.idle_minutes.data = str(shop.idle_minutes or "")
        form.loyalty_every.data = str(shop.loyalty_every or "")
        page = parse_page(request.args.get("page"))
        return render_template(TEMPLATE, **context(shop, form, shop_categories(shop), page))
    form = TrustSettingsForm()
    chosen = [name for name in request.form.getlist("loyalty_categories") if name]
    try:
        if not form.validate_on_submit():
            raise Refused(first_error(form))
        amounts = {}
        for field, name in AMOUNTS.items():
            try:
                amounts[name] = (
                    parse_amount(form[field].data, shop.currency, shop.locale, allow_blank=True)
                    if (form[field].data or "").strip()
                    else None
                )
            except AmountError as problem:
                raise Refused(f"{form[field].label.text}: {problem}") from None
        with unit_of_work():
            trust.set_settings(
                shop,
                **amounts,
                idle_minutes=form.idle_minutes.data,
                loyalty_every=form.loyalty_every.data,
                loyalty_categories=chosen,
                known_categories=[c.name for c in categories(shop.id)],
            )
    except Refused as problem:
        page = render_template(TEMPLATE, error=problem.message, **context(shop, form, chosen))
        return page, problem.status_code
    return done(gettext("Settings saved."), url_for(".trust_settings"))


def shop_categories(shop) -> list[str]:
    return [name for name in shop.loyalty_categories.split("\n") if name]


def context(shop, form, chosen: list[str], page: int = 1) -> dict:
    return {
        "shop": shop,
        "form": form,
        "categories": categories(shop.id),
        "chosen": chosen,
        "regulars": trust.regulars(shop, page),
    }
