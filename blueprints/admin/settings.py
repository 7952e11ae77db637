"""Back office: the shop's settings."""

from flask import render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from blueprints.admin import bp, done, page_with_error
from blueprints.forms import ShopSettingsForm, first_error
from money import AmountError, format_plain, parse_amount
from services import Refused, unit_of_work
from services import shops as shop_service

TEMPLATE = "admin/settings.html"


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    shop = current_user.shop
    if request.method == "GET":
        form = ShopSettingsForm(obj=shop)
        form.deposit.data = format_plain(shop.deposit_amount, shop.currency, shop.locale)
        return render_template(TEMPLATE, **context(shop, form))
    form = ShopSettingsForm()
    # The deposit as the page showed it. Left as it was, a change of currency carries it
    # over with the prices (as the owner chose); typed anew, it is read in the currency
    # being set. So an untouched "0.00" is never refused by a currency without cents.
    shown = format_plain(shop.deposit_amount, shop.currency, shop.locale)
    deposit_typed = "deposit" in request.form and (form.deposit.data or "").strip() != shown
    try:
        if not form.validate_on_submit():
            if form.closing_time.errors:
                raise Refused(gettext("Enter the closing time as hours and minutes, like 17:30."))
            raise Refused(first_error(form))
        with unit_of_work():
            notes = shop_service.update_settings(
                shop,
                name=form.name.data,
                currency=form.currency.data,
                locale=form.locale.data,
                timezone=form.timezone.data,
                service_note=form.service_note.data,
                closing_time=form.closing_time.data,
                prices=form.prices.data,
            )
            # A form from before these fields existed leaves them as they are.
            if "tip_presets" in request.form or deposit_typed:
                deposit = None
                if deposit_typed:
                    try:
                        deposit = parse_amount(
                            form.deposit.data, shop.currency, shop.locale, allow_blank=True
                        )
                    except AmountError as problem:
                        raise Refused(gettext("Deposit: %(problem)s", problem=problem)) from None
                shop_service.set_payment_settings(
                    shop,
                    tip_presets=form.tip_presets.data if "tip_presets" in request.form else None,
                    deposit_amount=deposit,
                )
    except Refused as problem:
        return page_with_error(TEMPLATE, problem, **context(shop, form))
    return done(" ".join([gettext("Settings saved."), *notes]), url_for(".settings"))


def context(shop, form) -> dict:
    return {"shop": shop, "form": form}
