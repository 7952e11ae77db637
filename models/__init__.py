"""Every model, imported so `db.metadata` (and Alembic) sees the whole schema."""

from models.audit import AuditEntry
from models.card import CARD_KINDS, TokenCard
from models.cashup import CashUp
from models.checkout import CheckoutSession, StripeEvent
from models.feedback import TabRating
from models.menu import MenuCategory, MenuItem
from models.options import ItemOptionGroup, OptionChoice, OptionGroup
from models.payment import PAYMENT_METHODS, Payment, PayRequest
from models.push import PushMessage, PushSubscription
from models.shop import Shop
from models.staff import ROLES, StaffMember, StaffSession
from models.station import ItemRoute, Station, StationRoute
from models.tab import Tab, TabLine, TabMember
from models.trust import LoyaltyStamp

__all__ = [
    "CARD_KINDS",
    "PAYMENT_METHODS",
    "ROLES",
    "AuditEntry",
    "CashUp",
    "LoyaltyStamp",
    "CheckoutSession",
    "ItemOptionGroup",
    "ItemRoute",
    "MenuCategory",
    "MenuItem",
    "OptionChoice",
    "OptionGroup",
    "PayRequest",
    "Payment",
    "PushMessage",
    "PushSubscription",
    "Shop",
    "StripeEvent",
    "StaffMember",
    "StaffSession",
    "Station",
    "StationRoute",
    "Tab",
    "TabLine",
    "TabMember",
    "TabRating",
    "TokenCard",
]
