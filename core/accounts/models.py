"""Account tables: users and login attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import PERSONAL, Base, Retention, UTCDateTime, utcnow
from core.directory.models import Contact


class User(Base):
    """Someone who can sign in. Linked to a directory contact when they are a partner's person."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, info=PERSONAL)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(200), info=PERSONAL)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: bumped on logout, password or role change: every older session cookie stops working
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    language: Mapped[str] = mapped_column(String(8), default="fr")
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    contact: Mapped[Contact | None] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class LoginAttempt(Base):
    """A failed sign-in, kept in the database so throttling holds across worker processes."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        {"info": {"retention": [
            Retention("login_attempts", "Tentatives de connexion échouées", "at", days=30, action="delete")
        ]}},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "email:<address>" or "ip:<address>"
    key: Mapped[str] = mapped_column(String(300), index=True, info=PERSONAL)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
