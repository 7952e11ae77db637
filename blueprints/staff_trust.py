"""Staff's taps on a tab's trust: raise its limit, lift a deposit asked after a
walk-out (services/trust.py). Routes on the staff blueprint."""

from flask import url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from blueprints.forms import EmptyForm, submitted
from blueprints.staff import bp, done, shop_tab
from money import format_money
from services import idle, trust, unit_of_work


@bp.post("/tabs/<id:tab_id>/raise-limit")
@login_required
def raise_limit(tab_id: int):
    tab = shop_tab(tab_id)
    submitted(EmptyForm())
    with unit_of_work():
        trust.raise_limit(tab, current_user)
    limit = format_money(tab.tab_limit, tab.currency, current_user.shop.locale)
    return done(
        gettext("%(name)s can now run a tab up to %(limit)s.", name=tab.display_name, limit=limit),
        url_for(".tab", tab_id=tab_id),
    )


@bp.post("/tabs/<id:tab_id>/lift-deposit")
@login_required
def lift_deposit(tab_id: int):
    tab = shop_tab(tab_id)
    submitted(EmptyForm())
    with unit_of_work():
        trust.lift_deposit(tab, current_user)
    return done(
        gettext("No deposit needed for %(name)s.", name=tab.display_name),
        url_for(".tab", tab_id=tab_id),
    )


@bp.app_template_global()
def tab_is_idle(tab) -> bool:
    return idle.is_idle(tab)
