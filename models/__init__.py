"""Every model, imported so `db.metadata` (and Alembic) sees the whole schema."""

from models.card import CARD_KINDS, TokenCard
from models.menu import MenuItem
from models.payment import PAYMENT_METHODS, Payment, PayRequest
from models.shop import Shop
from models.staff import ROLES, StaffMember
from models.tab import Tab, TabLine, TabMember

__all__ = [
    "CARD_KINDS",
    "PAYMENT_METHODS",
    "ROLES",
    "MenuItem",
    "PayRequest",
    "Payment",
    "Shop",
    "StaffMember",
    "Tab",
    "TabLine",
    "TabMember",
    "TokenCard",
]
