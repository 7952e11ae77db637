"""Every model, imported so `db.metadata` (and Alembic) sees the whole schema."""

from models.card import CARD_KINDS, TokenCard
from models.checkout import CheckoutSession, StripeEvent
from models.menu import MenuCategory, MenuItem
from models.payment import PAYMENT_METHODS, Payment
from models.push import PushMessage, PushSubscription
from models.shop import Shop
from models.staff import ROLES, StaffMember
from models.tab import Tab, TabLine

__all__ = [
    "CARD_KINDS",
    "PAYMENT_METHODS",
    "ROLES",
    "CheckoutSession",
    "MenuCategory",
    "MenuItem",
    "Payment",
    "PushMessage",
    "PushSubscription",
    "Shop",
    "StripeEvent",
    "StaffMember",
    "Tab",
    "TabLine",
    "TokenCard",
]
