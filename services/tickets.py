"""Tickets: the counter's queue as a kitchen display shows it.

A ticket is one order round of a tab: the lines one phone sent together, or added
within a short window of the round's first line before staff started on any of
them. Tickets are worked out when the board is drawn, from the queue's lines, so
nothing is stored about them. A line's station is its item's own route, else its
item's category's route, else the first station.

The boards read the queue as small rows (QueueLine, QueueTab: only the columns a
ticket shows), never as Tab and TabLine objects: a board is read on every change in
the shop, with hundreds of lines in play.

Bumping a ticket marks its lines ready (one notification for the tab); a bumped
ticket can be recalled for a minute; serving hands the ready lines over, and served
lines leave every board."""

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext, lazy_gettext
from sqlalchemy import select, update

from extensions import db
from models import (
    ItemRoute,
    MenuCategory,
    MenuItem,
    Shop,
    StaffMember,
    Station,
    StationRoute,
    Tab,
    TabLine,
    TokenCard,
)
from models.base import as_utc, utcnow
from models.tab import (
    LIVE_TAB_STATUSES,
    ORDERED,
    PREPARING,
    READY,
    SERVED,
    display_name,
    reference,
    where,
)
from services import Conflict, Refused, parse_id
from services import push as push_service

# Lines a tab adds this soon after a round's first line join its ticket, unless staff
# started on the round meanwhile.
ROUND_WINDOW = timedelta(seconds=90)
# How long a bumped ticket can be taken back ("Undo").
RECALL_WINDOW = timedelta(seconds=60)
MAX_TICKET_LINES = 200
MIN_MINUTES, MAX_MINUTES = 1, 240
MAX_STATIONS = 12
MAX_STATION_NAME = 40
# What the ready board says of each tab with something to collect; never prices.
BOARD_SHOWS = {
    "code": lazy_gettext("Name and tab code"),
    "where": lazy_gettext("Name, tab code and table or card"),
    "items": lazy_gettext("Name, tab code, table or card, and what is ready"),
}


@dataclass(frozen=True)
class QueueTab:
    """A tab as its tickets show it."""

    id: int
    version: int
    public_id: str
    customer_name: str
    card_label: str | None

    @property
    def display_name(self) -> str:
        return display_name(self.customer_name, self.card_label, self.public_id)

    @property
    def where(self) -> str:
        return where(self.card_label)

    @property
    def reference(self) -> str:
        return reference(self.public_id)


@dataclass(frozen=True)
class QueueLine:
    """A line in play as its ticket shows it, with what routes it to a station."""

    id: int
    tab_id: int
    status: str
    quantity: int
    name: str
    note: str
    ordered_at: datetime
    preparing_at: datetime | None
    ready_at: datetime | None
    category: str | None
    item_station_id: int | None
    tab: QueueTab


def queue_lines(shop_id: int, statuses, *criteria) -> list[QueueLine]:
    """The shop's lines of live tabs in these statuses, oldest first, in one query."""
    rows = db.session.execute(
        select(
            TabLine.id,
            TabLine.tab_id,
            TabLine.status,
            TabLine.quantity,
            TabLine.name,
            TabLine.note,
            TabLine.ordered_at,
            TabLine.preparing_at,
            TabLine.ready_at,
            MenuItem.category,
            ItemRoute.station_id,
            Tab.version,
            Tab.public_id,
            Tab.customer_name,
            TokenCard.label,
        )
        .join(Tab, Tab.id == TabLine.tab_id)
        .outerjoin(TokenCard, TokenCard.id == Tab.card_id)
        .outerjoin(MenuItem, (MenuItem.id == TabLine.menu_item_id) & (MenuItem.shop_id == shop_id))
        .outerjoin(
            ItemRoute,
            (ItemRoute.menu_item_id == TabLine.menu_item_id) & (ItemRoute.shop_id == shop_id),
        )
        .where(
            TabLine.shop_id == shop_id,
            TabLine.status.in_(statuses),
            Tab.status.in_(LIVE_TAB_STATUSES),
            *criteria,
        )
        .order_by(TabLine.ordered_at, TabLine.id)
    )
    tabs: dict[int, QueueTab] = {}
    lines = []
    for row in rows:
        tab = tabs.get(row.tab_id)
        if tab is None:
            tab = tabs[row.tab_id] = QueueTab(
                row.tab_id, row.version, row.public_id, row.customer_name, row.label
            )
        lines.append(QueueLine(*row[:11], tab=tab))
    return lines


@dataclass
class Ticket:
    tab: QueueTab
    lines: list[QueueLine] = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.key

    @property
    def key(self) -> int:
        """The ticket's name in the page: its first line's id (stable while it lives)."""
        return self.lines[0].id

    @property
    def ordered_at(self) -> datetime:
        return as_utc(self.lines[0].ordered_at)

    @property
    def to_make(self) -> list[QueueLine]:
        return [line for line in self.lines if line.status in (ORDERED, PREPARING)]

    @property
    def ready(self) -> list[QueueLine]:
        return [line for line in self.lines if line.status == READY]

    @property
    def bumped(self) -> bool:
        return not self.to_make

    @property
    def recall_until(self) -> datetime | None:
        """Until when the bump can be undone (None: not bumped, or too long ago)."""
        if not self.bumped or not self.ready:
            return None
        last = max(as_utc(line.ready_at) for line in self.ready if line.ready_at)
        until = last + RECALL_WINDOW
        return until if until > utcnow() else None


def started_before(line: QueueLine, moment: datetime) -> bool:
    return any(at is not None and as_utc(at) <= moment for at in (line.preparing_at, line.ready_at))


def order_rounds(lines: list[QueueLine]) -> list[Ticket]:
    """The queue's lines (oldest first) as tickets, oldest first."""
    tickets: list[Ticket] = []
    current: dict[int, Ticket] = {}
    for line in lines:
        ordered = as_utc(line.ordered_at)
        ticket = current.get(line.tab_id)
        if (
            ticket is None
            or ordered - ticket.ordered_at > ROUND_WINDOW
            or any(started_before(other, ordered) for other in ticket.lines)
        ):
            ticket = Ticket(tab=line.tab)
            current[line.tab_id] = ticket
            tickets.append(ticket)
        ticket.lines.append(line)
    return tickets


def stations(shop_id: int) -> list[Station]:
    return list(
        db.session.execute(
            select(Station).where(Station.shop_id == shop_id).order_by(Station.sort, Station.id)
        ).scalars()
    )


def routes(shop_id: int) -> dict[str, int]:
    """Category name → station id."""
    return dict(
        db.session.execute(
            select(StationRoute.category, StationRoute.station_id).where(
                StationRoute.shop_id == shop_id
            )
        ).all()
    )


def line_stations(shop_id: int, lines: list[QueueLine], all_stations: list[Station]) -> dict:
    """Line id → station id: the item's own station, else its category's. A line whose
    item and category go nowhere (or a counter order with no menu item) goes to the
    first station: nothing is left unmade."""
    if not all_stations:
        return {}
    first = all_stations[0].id
    routed = routes(shop_id)
    return {
        line.id: line.item_station_id or routed.get(line.category or "", first) for line in lines
    }


@dataclass
class Board:
    tickets: list[Ticket]
    station: Station | None
    stations: list[Station]

    @property
    def to_make(self) -> int:
        return sum(len(ticket.to_make) for ticket in self.tickets)

    @property
    def ready(self) -> int:
        return sum(len(ticket.ready) for ticket in self.tickets)

    @property
    def line_ids(self) -> list[int]:
        return [line.id for ticket in self.tickets for line in ticket.lines]


def board(shop_id: int, lines: list[QueueLine], station: Station | None = None) -> Board:
    """The queue's lines (services.counter.queue) as the counter's tickets (every
    station's lines), or one station's: only its lines, and only while it has some to
    make or may still recall its bump."""
    all_stations = stations(shop_id)
    tickets = order_rounds(lines)
    if station is not None:
        where = line_stations(shop_id, lines, all_stations)
        mine = []
        for ticket in tickets:
            ours = [line for line in ticket.lines if where[line.id] == station.id]
            part = Ticket(tab=ticket.tab, lines=ours)
            if part.lines and (part.to_make or part.recall_until):
                mine.append(part)
        tickets = mine
    return Board(tickets=tickets, station=station, stations=all_stations)


def _shop_lines(shop: Shop, line_ids: list[int]) -> list[TabLine]:
    if not line_ids:
        raise Refused(gettext("Say which lines."))
    if len(line_ids) > MAX_TICKET_LINES:
        raise Refused(gettext("Too many lines at once."))
    lines = list(
        db.session.execute(
            select(TabLine)
            .join(TabLine.tab)
            .where(
                TabLine.shop_id == shop.id,
                TabLine.id.in_(line_ids),
                Tab.status.in_(LIVE_TAB_STATUSES),
            )
            .order_by(TabLine.id)
        ).scalars()
    )
    if not lines:
        raise Conflict(gettext("That ticket is no longer on the board."))
    return lines


def _move(lines: list[TabLine], values: dict, message: str) -> None:
    for line in lines:
        # Conditional on the status read, so two staff tapping at once move it once.
        result = db.session.execute(
            update(TabLine)
            .where(TabLine.id == line.id, TabLine.status == line.status)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise Conflict(message)
        db.session.refresh(line)


def bump(shop: Shop, line_ids: list[int], staff: StaffMember) -> list[TabLine]:
    """These lines (a ticket, or a station's part of it) are ready: each tab is told once."""
    lines = [line for line in _shop_lines(shop, line_ids) if line.status in (ORDERED, PREPARING)]
    if not lines:
        raise Conflict(gettext("That ticket is already ready."))
    _move(
        lines,
        {"status": READY, "ready_at": utcnow()},
        gettext("Someone else just changed that ticket; look again."),
    )
    for tab in {line.tab_id: line.tab for line in lines}.values():
        push_service.line_moved(tab, READY)
    return lines


def recall(shop: Shop, line_ids: list[int], staff: StaffMember) -> list[TabLine]:
    """Undo a bump made within the last minute: its lines go back to being made."""
    ready = [line for line in _shop_lines(shop, line_ids) if line.status == READY]
    if not ready:
        raise Conflict(gettext("Nothing on that ticket is ready to take back."))
    since = utcnow() - RECALL_WINDOW
    lines = [line for line in ready if line.ready_at is not None and as_utc(line.ready_at) >= since]
    if not lines:
        raise Conflict(gettext("That ticket was bumped more than a minute ago."))
    for line in lines:
        back = PREPARING if line.preparing_at is not None else ORDERED
        _move(
            [line],
            {"status": back, "ready_at": None},
            gettext("Someone else just changed that ticket; look again."),
        )
    return lines


def serve(shop: Shop, line_ids: list[int], staff: StaffMember) -> list[TabLine]:
    """The ready lines of a ticket were handed over: they leave the boards."""
    lines = [line for line in _shop_lines(shop, line_ids) if line.status == READY]
    if not lines:
        raise Conflict(gettext("Nothing on that ticket is ready to hand over."))
    _move(
        lines,
        {"status": SERVED, "served_at": utcnow()},
        gettext("Someone else just changed that ticket; look again."),
    )
    return lines


# -- the owner's settings ----------------------------------------------------------


def set_ticket_settings(shop: Shop, preparing_step: bool, warn: str, late: str) -> None:
    try:
        warn_minutes, late_minutes = int(str(warn).strip()), int(str(late).strip())
    except ValueError:
        raise Refused(gettext("Give the ticket ages as whole minutes.")) from None
    if not (MIN_MINUTES <= warn_minutes < late_minutes <= MAX_MINUTES):
        raise Refused(
            gettext(
                "A ticket turns amber after fewer minutes than it turns red (%(low)d to %(high)d).",
                low=MIN_MINUTES,
                high=MAX_MINUTES,
            )
        )
    shop.preparing_step = preparing_step
    shop.ticket_warn_minutes = warn_minutes
    shop.ticket_late_minutes = late_minutes


def _station_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise Refused(gettext("Give the station a name, like Bar or Kitchen."))
    if len(name) > MAX_STATION_NAME:
        raise Refused(
            gettext("A station's name is at most %(count)d characters.", count=MAX_STATION_NAME)
        )
    return name


def add_station(shop: Shop, name: str) -> Station:
    name = _station_name(name)
    existing = stations(shop.id)
    if len(existing) >= MAX_STATIONS:
        raise Refused(gettext("A shop has at most %(count)d stations.", count=MAX_STATIONS))
    if any(station.name.casefold() == name.casefold() for station in existing):
        raise Refused(gettext("There is already a station called %(name)s.", name=name))
    station = Station(shop_id=shop.id, name=name, sort=len(existing))
    db.session.add(station)
    db.session.flush()
    return station


def remove_station(station: Station) -> None:
    db.session.delete(station)


def route_category(shop: Shop, category: str, station_id: int | None) -> None:
    """Send a category's lines to a station (None: to the first station)."""
    db.session.execute(
        StationRoute.__table__.delete().where(
            StationRoute.shop_id == shop.id, StationRoute.category == category
        )
    )
    if station_id is not None:
        db.session.add(StationRoute(shop_id=shop.id, station_id=station_id, category=category))
    db.session.flush()


def _checked_routes(pairs, known: set, key, too_many: str, unknown: str, shop_id: int) -> list:
    """The (what, station id) pairs an owner's page sent, every one checked before any
    route changes: `what` (made by `key` from the text sent) must be in `known`, and
    the station one of the shop's, or blank."""
    if not pairs or len(pairs) > len(known):
        raise Refused(too_many)
    station_ids = {station.id for station in stations(shop_id)}
    checked = []
    for raw_what, raw_station in pairs:
        what = key(raw_what)
        station_id = parse_id(raw_station) if raw_station else None
        if what not in known or (raw_station and station_id not in station_ids):
            raise Refused(unknown)
        checked.append((what, station_id))
    return checked


def route_categories(shop: Shop, pairs) -> None:
    """Each (category, station) the counter settings sent; a blank station: the first."""
    checked = _checked_routes(
        pairs,
        set(category_names(shop.id)),
        str,
        gettext("Send each category with its station."),
        gettext("Choose one of the shop's stations for each category."),
        shop.id,
    )
    for category, station_id in checked:
        route_category(shop, category, station_id)


def route_items(shop: Shop, pairs) -> None:
    """Each (item id, station) the counter settings sent; a blank station: as its
    category."""
    checked = _checked_routes(
        pairs,
        {item_id for item_id, _name, _category in routable_items(shop.id)},
        parse_id,
        gettext("Send each item with its station."),
        gettext("Choose one of the shop's stations for each item."),
        shop.id,
    )
    for item_id, station_id in checked:
        route_item(shop, item_id, station_id)


def item_routes(shop_id: int) -> dict[int, int]:
    """Menu item id → its own station id (items that follow their category are absent)."""
    return dict(
        db.session.execute(
            select(ItemRoute.menu_item_id, ItemRoute.station_id).where(ItemRoute.shop_id == shop_id)
        ).all()
    )


def route_item(shop: Shop, item_id: int, station_id: int | None) -> None:
    """Send an item's lines to a station whatever its category (None: as its category)."""
    db.session.execute(
        ItemRoute.__table__.delete().where(
            ItemRoute.shop_id == shop.id, ItemRoute.menu_item_id == item_id
        )
    )
    if station_id is not None:
        db.session.add(ItemRoute(shop_id=shop.id, station_id=station_id, menu_item_id=item_id))
    db.session.flush()


def routable_items(shop_id: int) -> list[tuple[int, str, str]]:
    """(id, name, category) of every item on the menu the owner can route."""
    return [
        tuple(row)
        for row in db.session.execute(
            select(MenuItem.id, MenuItem.name, MenuItem.category)
            .where(MenuItem.shop_id == shop_id, MenuItem.archived_at.is_(None))
            .order_by(MenuItem.category, MenuItem.sort, MenuItem.name, MenuItem.id)
        )
    ]


def shop_station(shop_id: int, station_id: int) -> Station | None:
    return db.session.execute(
        select(Station).where(Station.id == station_id, Station.shop_id == shop_id)
    ).scalar_one_or_none()


# -- the ready board ---------------------------------------------------------------


@dataclass(frozen=True)
class ReadyEntry:
    name: str
    where: str
    reference: str
    ready_at: datetime
    # What is ready ("2 × Flat white"), when the owner lets the board say it.
    items: tuple[str, ...] = ()


def ready_entries(lines: list[QueueLine], shows: str = "where") -> list[ReadyEntry]:
    """One entry per tab with something ready to collect, newest first, saying what
    the owner chose (`shows`, one of BOARD_SHOWS): never prices."""
    ready: dict[int, list[QueueLine]] = {}
    for line in lines:
        if line.status == READY:
            ready.setdefault(line.tab_id, []).append(line)
    entries = []
    for tab_lines in ready.values():
        tab = tab_lines[0].tab
        entries.append(
            ReadyEntry(
                name=tab.display_name,
                where=tab.where if shows != "code" else "",
                reference=tab.reference,
                ready_at=max(as_utc(line.ready_at or line.ordered_at) for line in tab_lines),
                items=tuple(f"{line.quantity} × {line.name}" for line in tab_lines)
                if shows == "items"
                else (),
            )
        )
    return sorted(entries, key=lambda entry: entry.ready_at, reverse=True)


def set_board_shows(shop: Shop, shows: str) -> None:
    if shows not in BOARD_SHOWS:
        raise Refused(gettext("Choose what the ready board shows."))
    shop.board_shows = shows


def open_board(shop: Shop) -> str:
    """Give the shop a ready board, or a new secret URL for it: the old one stops working."""
    shop.board_key = secrets.token_urlsafe(24)
    return shop.board_key


def close_board(shop: Shop) -> None:
    shop.board_key = None


def category_names(shop_id: int) -> list[str]:
    """Every category the owner can route: the menu's categories and any an item names."""
    named = db.session.execute(
        select(MenuCategory.name).where(MenuCategory.shop_id == shop_id)
    ).scalars()
    used = db.session.execute(
        select(MenuItem.category).where(MenuItem.shop_id == shop_id, MenuItem.category != "")
    ).scalars()
    return sorted(set(named) | set(used), key=str.casefold)
