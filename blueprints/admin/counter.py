"""Back office: the counter's tickets (the "Preparing" step, age colours), the
stations lines are made at, the categories and items each makes, and the ready
board (its address and what it shows)."""

from flask import render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from blueprints.admin import bp, done, owned, page_with_error
from blueprints.forms import EmptyForm, StationForm, TicketSettingsForm, submitted
from models import Station
from services import Refused, unit_of_work
from services import tickets as ticket_service

TEMPLATE = "admin/counter.html"


def context(shop, **extra) -> dict:
    return {
        "shop": shop,
        "form": TicketSettingsForm(
            formdata=None,
            preparing_step=shop.preparing_step,
            warn=str(shop.ticket_warn_minutes),
            late=str(shop.ticket_late_minutes),
        ),
        "station_form": StationForm(formdata=None),
        "stations": ticket_service.stations(shop.id),
        "routes": ticket_service.routes(shop.id),
        "items": ticket_service.routable_items(shop.id),
        "item_routes": ticket_service.item_routes(shop.id),
        "board_shows": ticket_service.BOARD_SHOWS,
        "categories": ticket_service.category_names(shop.id),
        **extra,
    }


@bp.get("/counter")
def counter():
    return render_template(TEMPLATE, **context(current_user.shop))


@bp.post("/counter/tickets")
def counter_tickets():
    shop = current_user.shop
    form = TicketSettingsForm()
    try:
        submitted(form)
        with unit_of_work():
            ticket_service.set_ticket_settings(
                shop, bool(form.preparing_step.data), form.warn.data, form.late.data
            )
    except Refused as problem:
        return page_with_error(TEMPLATE, problem, **context(shop))
    return done(gettext("Ticket settings saved."), url_for(".counter"))


@bp.post("/counter/stations")
def add_station():
    shop = current_user.shop
    form = StationForm()
    try:
        submitted(form)
        with unit_of_work():
            station = ticket_service.add_station(shop, form.name.data)
    except Refused as problem:
        return page_with_error(TEMPLATE, problem, **context(shop))
    return done(gettext("Station added: %(name)s.", name=station.name), url_for(".counter"))


@bp.post("/counter/stations/<id:station_id>/remove")
def remove_station(station_id: int):
    station = owned(Station, station_id)
    submitted(EmptyForm())
    name = station.name
    with unit_of_work():
        ticket_service.remove_station(station)
    return done(gettext("Station removed: %(name)s.", name=name), url_for(".counter"))


@bp.post("/counter/routes")
def routes():
    """Each category's station, as the page's selects sent them (a blank: the first)."""
    shop = current_user.shop
    submitted(EmptyForm())
    pairs = list(
        zip(request.form.getlist("category"), request.form.getlist("station"), strict=False)
    )
    try:
        with unit_of_work():
            ticket_service.route_categories(shop, pairs)
    except Refused as problem:
        return page_with_error(TEMPLATE, problem, **context(shop))
    return done(gettext("Stations saved."), url_for(".counter"))


@bp.post("/counter/item-routes")
def item_routes():
    """Each item's own station, as the page's selects sent them (a blank: as its
    category)."""
    shop = current_user.shop
    submitted(EmptyForm())
    pairs = list(zip(request.form.getlist("item"), request.form.getlist("station"), strict=False))
    try:
        with unit_of_work():
            ticket_service.route_items(shop, pairs)
    except Refused as problem:
        return page_with_error(TEMPLATE, problem, **context(shop))
    return done(gettext("Stations saved."), url_for(".counter"))


@bp.post("/counter/board/shows")
def board_shows():
    shop = current_user.shop
    submitted(EmptyForm())
    try:
        with unit_of_work():
            ticket_service.set_board_shows(shop, request.form.get("shows", ""))
    except Refused as problem:
        return page_with_error(TEMPLATE, problem, **context(shop))
    return done(gettext("The ready board shows what you chose."), url_for(".counter"))


@bp.post("/counter/board")
def board():
    shop = current_user.shop
    submitted(EmptyForm())
    action = request.form.get("action")
    if action not in ("open", "close"):
        return page_with_error(
            TEMPLATE, Refused(gettext("Open or close the ready board.")), **context(shop)
        )
    with unit_of_work():
        if action == "open":
            ticket_service.open_board(shop)
        else:
            ticket_service.close_board(shop)
    message = (
        gettext("The ready board has a new address; open it on the screen.")
        if action == "open"
        else gettext("The ready board is off; its address no longer works.")
    )
    return done(message, url_for(".counter"))
