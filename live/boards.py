"""The reads behind the counter's, a station's and the ready board's answers given
before Flask: one indexed read each, straight on the driver, like the tab's
(versions.py).

- A member of staff's poll (`/staff/live`, `/staff/stations/<id>/live`): who is
  signed in on this browser, as Flask-Login would find them (the member, by the
  session's "<id>:<epoch>", still active and with the browser's StaffSession row
  alive), their shop's versions and closing time, and the station if it is the
  shop's.
- The ready board's poll (`/board/<key>/live`): the shop whose board key it is, and
  its versions.

Rows come back typed as the models say (a closing time on SQLite is text to the
driver), and a failed read is None: the request goes on to Flask."""

import logging
from datetime import time
from typing import NamedTuple

from sqlalchemy import Engine, bindparam, select

from live.versions import read_one

log = logging.getLogger(__name__)


class StaffVersions(NamedTuple):
    staff_id: int
    active: bool
    session_epoch: int
    shop_id: int
    live_version: int
    settings_version: int
    timezone: str
    closing_time: time | None
    station_id: int | None


class BoardVersions(NamedTuple):
    shop_id: int
    live_version: int
    settings_version: int


class OneRow:
    """One statement, compiled once, run on a raw driver connection of `engine`
    (versions.read_one), its columns typed as the models say."""

    def __init__(self, engine: Engine, statement):
        dialect = engine.dialect
        compiled = statement.compile(dialect=dialect)
        self.engine = engine
        self.sql = str(compiled)
        self.order = compiled.positiontup
        self.processors = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns
        ]

    def read(self, **params) -> tuple | None:
        row = read_one(
            self.engine,
            self.sql,
            tuple(params[name] for name in self.order) if self.order else params,
            log,
        )
        if row is None:
            return None
        return tuple(
            process(value) if process else value
            for process, value in zip(self.processors, row, strict=True)
        )


class BoardReader:
    def __init__(self, engine: Engine):
        from models import Shop, StaffMember, StaffSession, Station

        self.staff = OneRow(
            engine,
            select(
                StaffMember.id,
                StaffMember.active,
                StaffMember.session_epoch,
                Shop.id,
                Shop.live_version,
                Shop.settings_version,
                Shop.timezone,
                Shop.closing_time,
                Station.id,
            )
            .join(StaffSession, StaffSession.staff_member_id == StaffMember.id)
            .join(Shop, Shop.id == StaffMember.shop_id)
            .outerjoin(
                Station, (Station.id == bindparam("station_id")) & (Station.shop_id == Shop.id)
            )
            .where(
                StaffMember.id == bindparam("staff_id"), StaffSession.id == bindparam("browser")
            ),
        )
        self.board = OneRow(
            engine,
            select(Shop.id, Shop.live_version, Shop.settings_version).where(
                Shop.board_key == bindparam("key")
            ),
        )

    def read_staff(self, staff_id: int, browser: str, station_id: int = 0) -> StaffVersions | None:
        row = self.staff.read(station_id=station_id, staff_id=staff_id, browser=browser)
        return StaffVersions(*row) if row is not None else None

    def read_board(self, key: str) -> BoardVersions | None:
        row = self.board.read(key=key)
        return BoardVersions(*row) if row is not None else None
