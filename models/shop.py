from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import CheckConstraint, FetchedValue, String, Text, false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db, utcnow


@lru_cache(maxsize=4096)
def closing_at(timezone: str, closing_time: time | None, day: date) -> datetime | None:
    """When a shop in `timezone` that closes at `closing_time` (its wall clock) closes
    on `day`, as UTC; None when it sets no closing time. A closing time after midnight
    is not supported: a café closing at 01:00 sets 23:59 or leaves it empty.

    Kept per (timezone, time, day): the counter asks it for every live tab."""
    if closing_time is None:
        return None
    return datetime.combine(day, closing_time, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def closed_since(
    timezone: str, closing_time: time | None, moment: datetime, now: datetime | None = None
) -> bool:
    """Whether the shop has closed for the day on which `moment` fell (shop's time):
    a tab opened then and still live is open past closing."""
    zone = ZoneInfo(timezone)
    closing = closing_at(timezone, closing_time, moment.astimezone(zone).date())
    return closing is not None and (now or datetime.now(UTC)) >= closing


class Shop(db.Model):
    __tablename__ = "shops"
    __table_args__ = (
        CheckConstraint("deposit_amount >= 0", name="deposit_not_negative"),
        CheckConstraint(
            "(tab_limit_first IS NULL OR tab_limit_first >= 0) AND tab_limit_step >= 0"
            " AND (tab_limit_ceiling IS NULL OR tab_limit_ceiling >= 0)"
            " AND walkout_deposit >= 0",
            name="trust_not_negative",
        ),
        CheckConstraint("idle_minutes IS NULL OR idle_minutes >= 1", name="idle_minutes"),
        CheckConstraint("loyalty_every IS NULL OR loyalty_every >= 2", name="loyalty_every"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    currency: Mapped[str] = mapped_column(String(3))
    locale: Mapped[str] = mapped_column(String(16), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    service_note: Mapped[str] = mapped_column(Text, default="")
    # Wall-clock time in the shop's timezone; tabs still live after it are flagged.
    closing_time: Mapped[time | None]
    # Tip buttons on the bill, in percent, e.g. "10,15,20"; empty shows only
    # "No tip" and a custom amount. Checked by services.payments.parse_tip_presets.
    tip_presets: Mapped[str] = mapped_column(String(20), default="10,15,20")
    # Minor units asked for when a tab opens; 0 means the shop takes no deposit.
    deposit_amount: Mapped[int] = mapped_column(default=0)
    # Moved by the database on every change staff should see (any tab, a card, the
    # menu...: migration e3a7c2b9d150), so the queue's poll can answer 304 from one
    # indexed read instead of rebuilding the page.
    live_version: Mapped[int] = mapped_column(default=1, server_onupdate=FetchedValue())
    # Moved by the database on every other change to this row (name, note, locale,
    # currency, tips, deposit...): part of every live page's ETag.
    settings_version: Mapped[int] = mapped_column(
        default=1, server_default="1", server_onupdate=FetchedValue()
    )
    # Trust that grows with paying (services/trust.py), in minor units: a phone or
    # card never seen may run a tab up to `tab_limit_first` (None: no limit), plus
    # `tab_limit_step` per tab paid in full here, up to `tab_limit_ceiling` (None: no
    # ceiling). After a walk-out the next tab asks for `walkout_deposit`.
    tab_limit_first: Mapped[int | None]
    tab_limit_step: Mapped[int] = mapped_column(default=0, server_default="0")
    tab_limit_ceiling: Mapped[int | None]
    walkout_deposit: Mapped[int] = mapped_column(default=0, server_default="0")
    # Minutes since the last order, with nothing being made, before a tab gets its one
    # "still here?" reminder; None: never.
    idle_minutes: Mapped[int | None]
    # The stamp card (services/stamps.py): every `loyalty_every` paid items of the
    # categories named in `loyalty_categories` (one per line) earn one free; None: off.
    loyalty_every: Mapped[int | None]
    loyalty_categories: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The counter's tickets: whether lines go through "Preparing" before "Ready", and
    # after how many minutes a ticket shows as getting old, then late.
    preparing_step: Mapped[bool] = mapped_column(default=False, server_default=false())
    ticket_warn_minutes: Mapped[int] = mapped_column(default=5, server_default="5")
    ticket_late_minutes: Mapped[int] = mapped_column(default=10, server_default="10")
    # The ready board's secret (its URL, /board/<key>); None: the shop shows no board.
    board_key: Mapped[str | None] = mapped_column(String(43), unique=True, index=True)
    # What the ready board says of each tab (services.tickets.BOARD_SHOWS): its name
    # and code, plus where it sits, plus what is ready. Never prices.
    board_shows: Mapped[str] = mapped_column(String(10), default="where", server_default="where")
    # The last receipt number handed out: taken with an UPDATE … RETURNING inside the
    # payment's transaction, so the row lock hands concurrent payments distinct numbers.
    last_receipt_number: Mapped[int] = mapped_column(default=0, server_default="0")
    # Whether menu prices include tax (EU, UK, Korea, Japan, Australia) or have it
    # added on the bill (US, Canada); see services.tax.
    prices_include_tax: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    # The rate of items whose category names none, in thousandths of a percent.
    tax_rate: Mapped[int] = mapped_column(default=0, server_default="0")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local_today(self, now: datetime | None = None) -> date:
        return (now or datetime.now(UTC)).astimezone(self.zone).date()

    def closing_at(self, day: date) -> datetime | None:
        """When the shop closes on `day` (a date in the shop's timezone), as UTC; None
        when no closing time is set."""
        return closing_at(self.timezone, self.closing_time, day)

    def closed_since(self, moment: datetime, now: datetime | None = None) -> bool:
        return closed_since(self.timezone, self.closing_time, moment, now)

    @property
    def tip_percents(self) -> list[int]:
        return [int(p) for p in self.tip_presets.split(",") if p.strip().isdigit()]

    def __repr__(self) -> str:
        return f"<Shop {self.slug}>"
