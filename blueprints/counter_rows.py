"""The counter's rows (the queue's tickets, the tabs waiting to pay, the open tabs),
each drawn once and kept while what it shows is unchanged.

With a couple of hundred tabs open, drawing every row on every poll costs tens of
milliseconds, and the counter is redrawn after every change in the shop; yet from
one poll to the next only a few rows change. A row is kept under everything it
shows: its tab's version (which the database moves with every change to the tab or
its lines), the line's status, the shop's settings (currency, locale), the language,
and whether the shop closed since the tab opened. Not the age a row shows ("4 min"):
live.js brings every `time[data-since]` up to date in the browser.

A ticket is kept under its tab's version (which moves with each of its lines), the
name and place it shows (a card's label lives on the card, not the tab), its lines
and their statuses, and the station it is drawn for. Tickets are drawn from the
queue's small rows (services.tickets.QueueLine), never from Tab objects.

The queue's buttons are forms, each with the CSRF token of the page it is shown
on: a kept row holds a stand-in, swapped for this request's token as it goes out.
"""

import secrets
from dataclasses import dataclass, field

from flask import current_app, get_template_attribute
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from caching import MemoryCache
from models import Shop, Station
from models.base import as_utc, utcnow
from services.counter import CounterView, LiveTab, tabs_with_lines
from services.tickets import Ticket

ROWS_KEPT = 5000  # per process: far more rows than one shop's counter shows
MACROS = "staff/_counter_rows.html"
CSRF_STAND_IN = "csrf-stand-in-" + secrets.token_hex(16)


@dataclass(frozen=True)
class DrawnRow:
    html: Markup
    total: int = 0


@dataclass
class CounterRows:
    queue: list[Markup] = field(default_factory=list)
    waiting: list[DrawnRow] = field(default_factory=list)
    open: list[DrawnRow] = field(default_factory=list)

    @property
    def waiting_owed(self) -> int:
        return sum(row.total for row in self.waiting)

    @property
    def open_owed(self) -> int:
        return sum(row.total for row in self.open)


def kept_rows() -> MemoryCache:
    return current_app.extensions.setdefault("counter_rows", MemoryCache(ROWS_KEPT))


class _Drawing:
    """What every row's key shares, worked out once per counter."""

    def __init__(self, shop: Shop):
        self.shop = shop
        self.now = utcnow()
        self.language = str(get_locale())
        self.kept = kept_rows()

    def past_closing(self, tab: LiveTab) -> bool:
        return self.shop.closed_since(as_utc(tab.opened_at), self.now)

    def tab_key(self, kind: str, tab: LiveTab, past_closing: bool) -> tuple:
        # opened_at as well as the id: a tab id can come round again in SQLite once
        # a shop and its tabs are deleted.
        return (
            kind,
            tab.id,
            as_utc(tab.opened_at),
            tab.version,
            self.shop.id,
            self.shop.settings_version,
            self.language,
            past_closing,
        )

    def ticket_key(self, ticket: Ticket, station: Station | None) -> tuple:
        return (
            "ticket",
            station.id if station else None,
            station.name if station else None,
            tuple((line.id, line.status) for line in ticket.lines),
            as_utc(ticket.ordered_at),
            ticket.tab.id,
            ticket.tab.version,
            ticket.tab.display_name,
            ticket.tab.where,
            self.shop.id,
            self.shop.settings_version,
            self.language,
        )


def draw_tickets(shop: Shop, tickets: list[Ticket], station: Station | None = None) -> list[Markup]:
    """The tickets' HTML, drawing only those not kept."""
    drawing = _Drawing(shop)
    csrf = generate_csrf()
    drawn = []
    for ticket in tickets:
        key = drawing.ticket_key(ticket, station)
        html = drawing.kept.get(key)
        if html is None:
            draw = get_template_attribute(MACROS, "ticket_card")
            html = draw(ticket, shop, station, CSRF_STAND_IN)
            drawing.kept.put(key, html)
        drawn.append(Markup(html.replace(CSRF_STAND_IN, csrf)))
    return drawn


def draw_rows(shop: Shop, view: CounterView) -> CounterRows:
    """The counter's rows, drawing only those not kept. The tabs whose rows must be
    drawn are loaded together, in one query per relation."""
    drawing = _Drawing(shop)
    kept = drawing.kept
    rows = CounterRows()

    rows.queue = draw_tickets(shop, view.board.tickets)
    wanted = [("waiting_row", tab) for tab in view.waiting_to_pay] + [
        ("open_row", tab) for tab in view.open_tabs
    ]
    closing = [drawing.past_closing(tab) for _kind, tab in wanted]
    keys = [
        drawing.tab_key(kind, tab, past) for (kind, tab), past in zip(wanted, closing, strict=True)
    ]
    found = [kept.get(key) for key in keys]
    missing = [tab.id for (_kind, tab), row in zip(wanted, found, strict=True) if row is None]
    loaded = tabs_with_lines(shop.id, missing)
    for (kind, tab), key, past_closing, row in zip(wanted, keys, closing, found, strict=True):
        if row is None:
            full = loaded.get(tab.id)
            if full is None:
                continue  # gone between the two reads; the next poll has it right
            html = get_template_attribute(MACROS, kind)(full, shop, past_closing)
            row = DrawnRow(html=html, total=full.total)
            kept.put(key, row)
        (rows.waiting if kind == "waiting_row" else rows.open).append(row)
    return rows
