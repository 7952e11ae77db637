import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from models.base import db, utcnow
from models.shop import Shop

ROLES = ("owner", "staff")


class StaffMember(UserMixin, db.Model):
    __tablename__ = "staff_members"
    __table_args__ = (CheckConstraint("role IN ('owner', 'staff')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    # Logins are global: one email, one shop, so the login form needs no shop picker.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(80), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10), default="staff")
    active: Mapped[bool] = mapped_column(default=True)
    # Part of the id kept in the login session: bumping it (deactivation, password
    # reset) ends every session signed in before, at their next request.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    shop: Mapped[Shop] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive members
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"

    def end_sessions(self) -> None:
        self.session_epoch += 1

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"

    @property
    def display_name(self) -> str:
        return self.name or self.email.split("@", 1)[0]

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


class StaffSession(db.Model):
    """One signed-in browser of a member of staff. Its id is kept in the signed
    session cookie; logging out deletes the row, so a copy of that cookie opens
    nothing afterwards, while the member's other devices stay signed in."""

    __tablename__ = "staff_sessions"

    id: Mapped[str] = mapped_column(
        String(43), primary_key=True, default=lambda: secrets.token_urlsafe(32)
    )
    staff_member_id: Mapped[int] = mapped_column(
        ForeignKey("staff_members.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
