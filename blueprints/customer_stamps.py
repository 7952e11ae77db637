"""The customer's stamp card: shown on the bill and the receipt, spent with "Use my
free …" on an eligible line (services/stamps.py). Routes on the customer blueprint."""

from flask import flash, redirect, url_for
from flask_babel import gettext

from blueprints.customer import bp, my_tab, phone_id
from blueprints.forms import EmptyForm, submitted
from services import adjustments, stamps, unit_of_work


@bp.post("/tab/<token:public_id>/lines/<id:line_id>/free")
def use_free_item(public_id: str, line_id: int):
    tab = my_tab(public_id)
    submitted(EmptyForm())
    with unit_of_work():
        line = adjustments.redeem_stamps(tab, line_id, phone_id())
    flash(gettext("Your %(item)s is on the house. Enjoy!", item=line.name), "success")
    return redirect(url_for("customer.bill", public_id=public_id), code=303)


@bp.app_template_global()
def stamp_card(tab, phone: str | None = None):
    return stamps.stamp_card(tab, phone if phone is not None else phone_id())
