"""Every model, imported so `db.metadata` (and Alembic) sees the whole schema."""

from models.card import CARD_KINDS, TokenCard
from models.menu import MenuItem
from models.payment import PAYMENT_METHODS, Payment
from models.push import PushMessage, PushSubscription
from models.shop import Shop
from models.staff import ROLES, StaffMember
from models.tab import Tab, TabLine

__all__ = [
    "CARD_KINDS",
    "PAYMENT_METHODS",
    "ROLES",
    "MenuItem",
    "Payment",
    "PushMessage",
    "PushSubscription",
    "Shop",
    "StaffMember",
    "Tab",
    "TabLine",
    "TokenCard",
]
