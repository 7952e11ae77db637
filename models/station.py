"""Stations (Bar, Kitchen...): where a shop's lines are made, each with its own board.

A category of the menu is routed to one station, and an item may be routed to
another (its own route wins); a shop with no stations is one station, the counter.
Lines are routed when the boards are drawn, by their item's route or its category's,
so re-routing moves lines already waiting."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db, utcnow


class Station(db.Model):
    __tablename__ = "stations"
    __table_args__ = (UniqueConstraint("shop_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(40))
    sort: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StationRoute(db.Model):
    """A menu category (by name, as items carry it) and the station that makes it."""

    __tablename__ = "station_routes"
    __table_args__ = (UniqueConstraint("shop_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    station_id: Mapped[int] = mapped_column(
        ForeignKey("stations.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[str] = mapped_column(String(60))


class ItemRoute(db.Model):
    """One menu item and the station that makes it, whatever its category's route."""

    __tablename__ = "item_routes"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    station_id: Mapped[int] = mapped_column(
        ForeignKey("stations.id", ondelete="CASCADE"), index=True
    )
    menu_item_id: Mapped[int] = mapped_column(
        ForeignKey("menu_items.id", ondelete="CASCADE"), unique=True
    )
