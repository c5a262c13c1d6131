"""Account services: users, sign-in with throttling, session revocation."""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.accounts.models import LoginAttempt, User
from core.accounts.passwords import hash_password, needs_rehash, verify_password
from core.audit import services as audit


class AccountError(ValueError):
    """A French message explaining why an account operation was refused."""


def normalise_email(email: str) -> str:
    """Lower-case and strip an address (addresses are compared case-insensitively)."""
    return email.strip().lower()


def get_user_by_email(db: Session, email: str) -> User | None:
    """The user with this address, if any."""
    return db.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(
    db: Session,
    email: str,
    password: str | None,
    display_name: str,
    *,
    is_admin: bool = False,
    contact_id: int | None = None,
    language: str = "fr",
) -> User:
    """Create a user (the password is hashed here: call from a worker thread)."""
    email = normalise_email(email)
    if get_user_by_email(db, email) is not None:
        raise AccountError("Un compte existe déjà avec cette adresse.")
    user = User(
        email=email,
        password_hash=hash_password(password) if password else None,
        display_name=display_name.strip() or email,
        is_admin=is_admin,
        contact_id=contact_id,
        language=language,
        session_version=1,
        is_active=True,
    )
    db.add(user)
    db.flush()
    return user


def set_password(db: Session, user: User, password: str, actor: User | None = None) -> None:
    """Change a password and end every other session of that user."""
    user.password_hash = hash_password(password)
    revoke_sessions(user)
    audit.record(db, actor or user, "accounts.user.password_changed", user)


def revoke_sessions(user: User) -> None:
    """Make every existing session cookie of ``user`` invalid."""
    user.session_version = (user.session_version or 1) + 1


def throttle_keys(email: str, ip: str | None) -> list[str]:
    """The counters a sign-in attempt is checked against."""
    keys = [f"email:{normalise_email(email)}"]
    if ip:
        keys.append(f"ip:{ip}")
    return keys


def is_throttled(db: Session, keys: list[str], now: datetime, max_failures: int, window: int) -> bool:
    """Whether one of the keys failed ``max_failures`` times within the last ``window`` seconds.

    An IP gets a larger allowance (several people may share an office address).
    """
    since = now - timedelta(seconds=window)
    rows = db.execute(
        select(LoginAttempt.key, func.count())
        .where(LoginAttempt.key.in_(keys), LoginAttempt.at >= since)
        .group_by(LoginAttempt.key)
    ).all()
    for key, count in rows:
        limit = max_failures * 4 if key.startswith("ip:") else max_failures
        if count >= limit:
            return True
    return False


def authenticate(
    db: Session,
    email: str,
    password: str,
    *,
    ip: str | None,
    now: datetime,
    max_failures: int = 5,
    window: int = 900,
) -> User:
    """Check credentials with throttling stored in the database; raise :class:`AccountError`.

    The failure is recorded in its own short transaction by the caller's commit; the message
    never says whether the address exists.
    """
    keys = throttle_keys(email, ip)
    if is_throttled(db, keys, now, max_failures, window):
        raise AccountError(
            "Trop de tentatives de connexion. Réessayez dans quelques minutes."
        )
    user = get_user_by_email(db, email)
    ok = verify_password(user.password_hash if user is not None else None, password)
    if user is None or not ok or not user.is_active:
        for key in keys:
            db.add(LoginAttempt(key=key, at=now))
        raise AccountError("Adresse ou mot de passe incorrect.")
    db.execute(delete(LoginAttempt).where(LoginAttempt.key == keys[0]))
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    return user


def start_session(session: MutableMapping[str, Any], user: User) -> None:
    """Put the user in the (signed) session cookie: only the id, version and a fresh CSRF token."""
    language = session.get("lang")
    session.clear()
    session["uid"] = user.id
    session["ver"] = user.session_version
    if language:
        session["lang"] = language


def end_session(db: Session, session: MutableMapping[str, Any], user: User | None) -> None:
    """Sign out: forget the cookie and revoke every session of the user."""
    if user is not None:
        revoke_sessions(user)
        audit.record(db, user, "accounts.user.logged_out", user)
    session.clear()


def user_from_session(db: Session, session: MutableMapping[str, Any]) -> User | None:
    """The user a session cookie names, if it is still valid (same session version, active)."""
    uid = session.get("uid")
    if not isinstance(uid, int):
        return None
    user = db.get(User, uid)
    if user is None or not user.is_active or user.session_version != session.get("ver"):
        session.pop("uid", None)
        session.pop("ver", None)
        return None
    return user


def purge_login_attempts(db: Session, before: datetime) -> int:
    """Delete throttling records older than ``before`` (they only matter within the window)."""
    result = db.execute(delete(LoginAttempt).where(LoginAttempt.at < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
