"""The counter's tickets: bumping, recalling and handing over a ticket, each
station's own board, and the public ready board for the room.

Staff routes are scoped to the logged-in member's shop. The ready board needs no
login: its URL holds the shop's board key, which the owner can rotate."""

from flask import Blueprint, abort, jsonify, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from blueprints.counter_rows import draw_tickets
from blueprints.forms import EmptyForm, json_formdata, submitted
from blueprints.staff import done
from extensions import db
from live import ready_board_etag, station_etag
from models import Shop
from models.tab import READY
from services import parse_id, unit_of_work
from services import tickets as ticket_service
from services.counter import queue
from web.headers import PRIVATE

bp = Blueprint("tickets", __name__)

MAX_KEY = 43


def line_ids() -> list[int]:
    """The `line` fields of a ticket's form, as ids; anything that is not one is dropped
    (a line the shop does not have is simply not found)."""
    values = (
        json_formdata(request.get_json(silent=True)).getlist("line")
        if request.is_json
        else request.form.getlist("line")
    )
    ids = [parse_id(value) for value in values[: ticket_service.MAX_TICKET_LINES + 1]]
    return [number for number in ids if number is not None]


@bp.post("/staff/tickets/bump")
@login_required
def bump():
    submitted(EmptyForm())
    with unit_of_work():
        lines = ticket_service.bump(current_user.shop, line_ids(), current_user)
    return done(
        ngettext("%(num)d line ready.", "%(num)d lines ready.", len(lines)), back_to_board()
    )


@bp.post("/staff/tickets/serve")
@login_required
def serve():
    submitted(EmptyForm())
    with unit_of_work():
        lines = ticket_service.serve(current_user.shop, line_ids(), current_user)
    return done(
        ngettext("%(num)d line handed over.", "%(num)d lines handed over.", len(lines)),
        back_to_board(),
    )


@bp.post("/staff/tickets/recall")
@login_required
def recall():
    submitted(EmptyForm())
    with unit_of_work():
        lines = ticket_service.recall(current_user.shop, line_ids(), current_user)
    return done(
        ngettext("%(num)d line back to making.", "%(num)d lines back to making.", len(lines)),
        back_to_board(),
    )


def back_to_board() -> str:
    station = parse_id(request.form.get("station"))
    if station is not None:
        return url_for(".station", station_id=station)
    return url_for("staff.counter")


# -- a station's board -------------------------------------------------------------


def own_station(station_id: int):
    station = ticket_service.shop_station(current_user.shop_id, station_id)
    if station is None:
        abort(404)
    return station


def station_tag(station_id: int, live_version: int, settings_version: int) -> str:
    return station_etag(
        current_user.shop_id,
        station_id,
        live_version,
        settings_version,
        current_user.id,
        str(get_locale()),
    )


@bp.get("/staff/stations/<id:station_id>")
@login_required
def station(station_id: int):
    station = own_station(station_id)
    shop = current_user.shop
    board = ticket_service.board(shop.id, queue(shop.id), station)
    return render_template(
        "staff/station.html",
        shop=shop,
        board=board,
        tickets=draw_tickets(shop, board.tickets, station),
        etag=station_tag(station.id, shop.live_version, shop.settings_version),
    )


@bp.get("/staff/stations/<id:station_id>/live")
@login_required
def station_live(station_id: int):
    """Polled by a station's board; 304 while nothing in the shop has changed."""
    station = own_station(station_id)
    version, settings_version = db.session.execute(
        select(Shop.live_version, Shop.settings_version).where(Shop.id == current_user.shop_id)
    ).one()
    etag = station_tag(station.id, version, settings_version)
    if request.if_none_match.contains_weak(etag):
        return "", 304, {"ETag": f'W/"{etag}"', "Cache-Control": PRIVATE}
    shop = current_user.shop
    board = ticket_service.board(shop.id, queue(shop.id), station)
    response = jsonify(
        queue_ids=board.line_ids,
        ticket_ids=[ticket.key for ticket in board.tickets],
        html=render_template(
            "staff/_tickets_panel.html",
            shop=shop,
            board=board,
            tickets=draw_tickets(shop, board.tickets, station),
        ),
    )
    response.set_etag(etag, weak=True)
    response.headers["Cache-Control"] = PRIVATE
    return response


# -- the ready board -----------------------------------------------------------------


def board_shop(key: str) -> Shop:
    if not key or len(key) > MAX_KEY:
        abort(404)
    shop = db.session.execute(select(Shop).where(Shop.board_key == key)).scalar_one_or_none()
    if shop is None:
        abort(404)
    return shop


def ready_entries(shop: Shop) -> list:
    """Only the ready lines are read: the board shows nothing else."""
    return ticket_service.ready_entries(queue(shop.id, (READY,)), shop.board_shows)


@bp.get("/board/<key>")
def ready_board(key: str):
    shop = board_shop(key)
    return render_template(
        "board/ready.html",
        shop=shop,
        entries=ready_entries(shop),
        etag=ready_board_etag(shop.id, shop.live_version, shop.settings_version, str(get_locale())),
    )


@bp.get("/board/<key>/live")
def ready_board_live(key: str):
    """Polled by the ready board; 304 while nothing in the shop has changed."""
    shop = board_shop(key)
    etag = ready_board_etag(shop.id, shop.live_version, shop.settings_version, str(get_locale()))
    headers = {"Cache-Control": "no-cache"}
    if request.if_none_match.contains_weak(etag):
        return "", 304, {"ETag": f'W/"{etag}"', **headers}
    entries = ready_entries(shop)
    response = jsonify(
        names=[entry.reference for entry in entries],
        html=render_template("board/_entries.html", entries=entries),
    )
    response.set_etag(etag, weak=True)
    response.headers.update(headers)
    return response
