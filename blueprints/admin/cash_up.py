"""Back office: cashing up, the drawer counted against the cash the till recorded."""

from flask import render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from blueprints.admin import bp, done
from blueprints.forms import CashUpForm, submitted
from money import AmountError, format_money, format_plain, parse_amount
from services import Refused, cashup, unit_of_work


def cash_up_page(form: CashUpForm, recount: bool, status: int = 200, error: str | None = None):
    shop = current_user.shop
    drawer = cashup.drawer(shop, recount=recount)
    # The page shows the drawer as it is now; the form says which cash-up it follows.
    form.after.data = str(drawer.after)
    form.recount.data = "1" if recount else ""
    if request.method == "GET" and drawer.suggested_float is not None:
        form.opening_float.data = format_plain(drawer.suggested_float, shop.currency, shop.locale)
    return (
        render_template(
            "admin/cash_up.html", shop=shop, drawer=drawer, form=form, error=error, recount=recount
        ),
        status,
    )


def _amount(field, what: str) -> int:
    shop = current_user.shop
    try:
        return parse_amount(field.data, shop.currency, shop.locale)
    except AmountError as problem:
        raise Refused(f"{what}: {problem}") from None


@bp.get("/cash-up")
def cash_up():
    recount = request.args.get("recount") == "1"
    return cash_up_page(CashUpForm(formdata=None), recount)


@bp.post("/cash-up")
def record_cash_up():
    form = CashUpForm()
    recount = form.recount.data == "1"
    shop = current_user.shop
    try:
        submitted(form)
        after = form.after.data or ""
        if not after.isascii() or not after.isdigit() or len(after) > 9:
            raise Refused(gettext("This form is out of date; open the cash-up again."))
        opening_float = _amount(form.opening_float, gettext("Float"))
        counted = _amount(form.counted, gettext("Cash counted"))
        with unit_of_work():
            row = cashup.cash_up(
                shop,
                current_user,
                opening_float=opening_float,
                counted=counted,
                after=int(after),
                note=form.note.data,
                recount=recount,
            )
    except Refused as problem:
        return cash_up_page(form, recount, problem.status_code, problem.message)

    def cash(amount: int) -> str:
        return format_money(amount, shop.currency, shop.locale)

    if row.difference == 0:
        outcome = gettext("the drawer is exactly right")
    elif row.difference > 0:
        outcome = gettext("%(amount)s over", amount=cash(row.difference))
    else:
        outcome = gettext("%(amount)s short", amount=cash(-row.difference))
    message = gettext(
        "Cash-up recorded: expected %(expected)s, counted %(counted)s: %(outcome)s.",
        expected=cash(row.expected),
        counted=cash(row.counted),
        outcome=outcome,
    )
    return done(message, url_for(".day") + "#cash-up")
