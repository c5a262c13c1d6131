"""Account services: users, sign-in with throttling, sessions and their revocation, administration.

Plain functions over a SQLAlchemy session (no web import). Password hashing is slow on purpose:
call these from a worker thread (every ``@page`` view runs in one) or from the command line,
never on the event loop. Errors are :class:`AccountError` carrying a French message.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, text
from sqlalchemy.orm import Session, selectinload

from core.accounts.models import LoginAttempt, User
from core.accounts.passwords import MIN_LENGTH, hash_password, needs_rehash, verify_password
from core.audit import services as audit
from core.directory.models import Contact
from core.i18n import LANGUAGES
from core.i18n import gettext as _
from core.pagination import Page, paginate

#: session keys: the cookie is signed, not encrypted, so it holds nothing else (plus flashes)
SESSION_USER = "uid"
SESSION_VERSION = "ver"
SESSION_LANGUAGE = "lang"
SESSION_CSRF = "csrf"

#: an IP gets this many times the per-address allowance (an office shares one address)
IP_ALLOWANCE_FACTOR = 4
_KEY_LENGTH = 300  # LoginAttempt.key


class AccountError(ValueError):
    """A French message explaining why an account operation was refused.

    ``field`` names the form field the message belongs to, when there is one.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Throttled(AccountError):
    """Too many failed attempts recently: the caller answers 429."""


@dataclass(frozen=True)
class Throttle:
    """When an attempt happens and how many failures a key may have within the window."""

    now: datetime
    max_failures: int = 5
    #: seconds
    window: int = 900


# -- users ------------------------------------------------------------------------------------


def normalise_email(email: str) -> str:
    """Lower-case and strip an address (addresses are compared case-insensitively)."""
    return email.strip().lower()


def get_user_by_email(db: Session, email: str) -> User | None:
    """The user with this address, if any."""
    return db.scalar(select(User).where(User.email == normalise_email(email)))


def get_user(db: Session, user_id: int) -> User | None:
    """A user with their directory contact loaded."""
    return db.scalar(select(User).where(User.id == user_id).options(selectinload(User.contact)))


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
        raise AccountError(_("Un compte existe déjà avec cette adresse."), "email")
    _check_contact_free(db, contact_id, None)
    user = User(
        email=email,
        password_hash=hash_password(password) if password else None,
        display_name=display_name.strip() or email,
        is_admin=is_admin,
        contact_id=contact_id,
        language=language if language in LANGUAGES else "fr",
        session_version=1,
        is_active=True,
    )
    db.add(user)
    db.flush()
    return user


def _check_contact_free(db: Session, contact_id: int | None, user_id: int | None) -> None:
    """Refuse a directory contact that does not exist or already belongs to another account."""
    if contact_id is None:
        return
    if db.get(Contact, contact_id) is None:
        raise AccountError(_("Cette fiche de l'annuaire n'existe pas."), "contact_id")
    owner = db.scalar(select(User.id).where(User.contact_id == contact_id))
    if owner is not None and owner != user_id:
        raise AccountError(_("Cette fiche de l'annuaire est déjà liée à un autre compte."), "contact_id")


def check_new_password(password: str, confirm: str | None = None) -> None:
    """Refuse a password that is too short, or that its confirmation does not repeat."""
    if len(password) < MIN_LENGTH:
        raise AccountError(
            _("Le mot de passe doit compter au moins %(n)s caractères.", n=MIN_LENGTH), "password"
        )
    if confirm is not None and confirm != password:
        raise AccountError(_("Les deux mots de passe ne sont pas identiques."), "confirm")


def set_password(db: Session, user: User, password: str, actor: User | None = None) -> None:
    """Change a password and end every session of that user (see :func:`keep_session`)."""
    user.password_hash = hash_password(password)
    revoke_sessions(user)
    audit.record(db, actor or user, "accounts.user.password_changed", user)


def revoke_sessions(user: User) -> None:
    """Make every existing session cookie of ``user`` invalid."""
    user.session_version = (user.session_version or 1) + 1


# -- sign-in throttling -------------------------------------------------------------------------


def throttle_keys(email: str, ip: str | None) -> list[str]:
    """The counters a sign-in attempt is checked against: the address, and the client IP."""
    keys = [f"email:{normalise_email(email)}"[:_KEY_LENGTH]]
    if ip:
        keys.append(f"ip:{ip}"[:_KEY_LENGTH])
    return keys


def _lock_keys(db: Session, keys: list[str]) -> None:
    """Serialise concurrent attempts on the same keys until the transaction ends.

    PostgreSQL: transaction-level advisory locks, so two workers cannot both count four
    failures and both let a fifth guess through. SQLite: the request already holds the write
    lock (``BEGIN IMMEDIATE``), which serialises every writer.
    """
    if db.get_bind().dialect.name != "postgresql":
        return
    for key in sorted(set(keys)):  # one order everywhere: no deadlock
        db.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})


def is_throttled(db: Session, keys: list[str], now: datetime, max_failures: int, window: int) -> bool:
    """Whether one of the keys failed too often within the last ``window`` seconds.

    An address gets ``max_failures`` attempts, an IP :data:`IP_ALLOWANCE_FACTOR` times more.
    """
    since = now - timedelta(seconds=window)
    rows = db.execute(
        select(LoginAttempt.key, func.count())
        .where(LoginAttempt.key.in_(keys), LoginAttempt.at >= since)
        .group_by(LoginAttempt.key)
    ).all()
    for key, count in rows:
        limit = max_failures * IP_ALLOWANCE_FACTOR if key.startswith("ip:") else max_failures
        if count >= limit:
            return True
    return False


def _check_throttle(
    db: Session, keys: list[str], throttle: Throttle, message: str, field: str | None = None
) -> None:
    """Lock the keys for this transaction, then raise :class:`Throttled` if one is over its limit."""
    _lock_keys(db, keys)
    if is_throttled(db, keys, throttle.now, throttle.max_failures, throttle.window):
        raise Throttled(message, field)


def record_failure(db: Session, keys: list[str], now: datetime, window: int) -> None:
    """Count a failed attempt against every key (and forget attempts older than the window)."""
    db.execute(delete(LoginAttempt).where(LoginAttempt.at < now - timedelta(seconds=window)))
    for key in keys:
        db.add(LoginAttempt(key=key, at=now))
    db.flush()


def authenticate(
    db: Session,
    email: str,
    password: str,
    *,
    ip: str | None,
    throttle: Throttle,
) -> User:
    """Check credentials, with throttling kept in the database (it holds across workers).

    Raises :class:`Throttled` when the address or the IP failed too often, else
    :class:`AccountError` on a wrong address or password, an account without a password, or a
    deactivated one; the message never says which. The failure is written in the caller's
    transaction, which must commit it (the login view returns normally after catching).
    An unknown address still costs one password verification, so timing reveals nothing.
    """
    keys = throttle_keys(email, ip)
    _check_throttle(
        db, keys, throttle, _("Trop de tentatives de connexion. Réessayez dans quelques minutes.")
    )
    user = get_user_by_email(db, email)
    ok = verify_password(user.password_hash if user is not None else None, password)
    if user is None or not ok or not user.is_active:
        record_failure(db, keys, throttle.now, throttle.window)
        raise AccountError(_("Adresse ou mot de passe incorrect."))
    db.execute(delete(LoginAttempt).where(LoginAttempt.key == keys[0]))
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = throttle.now
    return user


def purge_login_attempts(db: Session, before: datetime) -> int:
    """Delete throttling records older than ``before`` (they only matter within the window)."""
    result = db.execute(delete(LoginAttempt).where(LoginAttempt.at < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# -- sessions -----------------------------------------------------------------------------------


def start_session(session: MutableMapping[str, Any], user: User) -> None:
    """Put the user in the (signed) session cookie: only the id and session version.

    Everything else is dropped, the CSRF token included (a new one is made on next use), so
    nothing from before the sign-in carries over; the chosen language is kept.
    """
    language = session.get(SESSION_LANGUAGE)
    session.clear()
    session[SESSION_USER] = user.id
    session[SESSION_VERSION] = user.session_version
    if language in LANGUAGES:
        session[SESSION_LANGUAGE] = language


def keep_session(session: MutableMapping[str, Any], user: User) -> None:
    """After the user's own password change: this session follows the new version, others end."""
    session[SESSION_VERSION] = user.session_version


def end_session(db: Session, session: MutableMapping[str, Any], user: User | None) -> None:
    """Sign out: forget the cookie and revoke every session of the user."""
    if user is not None:
        revoke_sessions(user)
        audit.record(db, user, "accounts.user.logged_out", user)
    session.clear()


def user_from_session(db: Session, session: MutableMapping[str, Any]) -> User | None:
    """The user a session cookie names, if it is still valid (same session version, active)."""
    uid = session.get(SESSION_USER)
    if not isinstance(uid, int) or isinstance(uid, bool):
        return None
    user = db.get(User, uid)
    if user is None or not user.is_active or user.session_version != session.get(SESSION_VERSION):
        session.pop(SESSION_USER, None)
        session.pop(SESSION_VERSION, None)
        return None
    return user


# -- the user's own account ---------------------------------------------------------------------


def update_profile(db: Session, user: User, *, display_name: str, language: str) -> dict[str, list[Any]]:
    """Change one's display name and interface language; returns the recorded changes."""
    display_name = display_name.strip()
    if not display_name:
        raise AccountError(_("Ce champ est obligatoire."), "display_name")
    if language not in LANGUAGES:
        raise AccountError(_("Langue inconnue."), "language")
    values = {"display_name": display_name, "language": language}
    changes = audit.diff(user, values)
    if changes:
        for key, value in values.items():
            setattr(user, key, value)
        audit.record(db, user, "accounts.user.profile_updated", user, changes=changes)
    return changes


def change_own_password(
    db: Session,
    user: User,
    current: str,
    new: str,
    confirm: str,
    *,
    throttle: Throttle,
) -> None:
    """Change one's password: the current one is required (guesses are throttled like logins).

    Every session of the user ends; the caller keeps the current one with :func:`keep_session`.
    """
    keys = [f"password:{user.id}"]
    _check_throttle(
        db, keys, throttle, _("Trop de tentatives. Réessayez dans quelques minutes."), "current_password"
    )
    if not verify_password(user.password_hash, current):
        record_failure(db, keys, throttle.now, throttle.window)
        raise AccountError(_("Le mot de passe actuel est incorrect."), "current_password")
    check_new_password(new, confirm)
    if new == current:
        raise AccountError(_("Le nouveau mot de passe doit être différent de l'actuel."), "password")
    db.execute(delete(LoginAttempt).where(LoginAttempt.key == keys[0]))
    set_password(db, user, new)


# -- administration -----------------------------------------------------------------------------


@dataclass(frozen=True)
class UserFilters:
    """The users list's search and filters (``None``: any)."""

    q: str = ""
    active: bool | None = None
    admin: bool | None = None


def search_users(db: Session, filters: UserFilters, page: int = 1, per_page: int = 50) -> Page[User]:
    """Users matching a search on address or name, with their contact loaded, by name."""
    stmt = select(User).options(selectinload(User.contact))
    q = filters.q.strip().lower()
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            or_(
                func.lower(User.email).like(pattern, escape="\\"),
                func.lower(User.display_name).like(pattern, escape="\\"),
            )
        )
    if filters.active is not None:
        stmt = stmt.where(User.is_active.is_(filters.active))
    if filters.admin is not None:
        stmt = stmt.where(User.is_admin.is_(filters.admin))
    stmt = stmt.order_by(func.lower(User.display_name), User.id)
    return paginate(db, stmt, page, per_page)


def contact_choices(db: Session, user_id: int | None = None) -> list[tuple[int, str]]:
    """Directory contacts an account may be linked to: those not linked to another account.

    ``(id, "Name – address")`` pairs, by name; one query, columns only.
    """
    taken = select(User.contact_id).where(User.contact_id.is_not(None))
    if user_id is not None:
        taken = taken.where(User.id != user_id)
    rows = db.execute(
        select(Contact.id, Contact.first_name, Contact.last_name, Contact.email)
        .where(Contact.id.not_in(taken), Contact.anonymised_at.is_(None))
        .order_by(Contact.last_name, Contact.first_name, Contact.id)
    ).all()
    labels = []
    for cid, first, last, email in rows:
        labels.append((cid, f"{first} {last}".strip() + (f" – {email}" if email else "")))
    return labels


def register_user(
    db: Session,
    actor: User,
    *,
    email: str,
    display_name: str,
    password: str,
    is_admin: bool = False,
    contact_id: int | None = None,
) -> User:
    """An admin creates an account with an initial password (audited)."""
    check_new_password(password)
    user = create_user(db, email, password, display_name, is_admin=is_admin, contact_id=contact_id)
    changes = {
        "email": [None, user.email],
        "display_name": [None, user.display_name],
        "is_admin": [None, user.is_admin],
        "contact_id": [None, user.contact_id],
    }
    audit.record(db, actor, "accounts.user.created", user, changes=changes)
    return user


#: fields whose change alters what the user may do: their sessions end
RIGHTS_FIELDS = frozenset({"is_admin", "is_active", "contact_id"})


def update_user(
    db: Session,
    actor: User,
    user: User,
    *,
    email: str,
    display_name: str,
    is_admin: bool,
    is_active: bool,
    contact_id: int | None,
    new_password: str | None = None,
) -> dict[str, list[Any]]:
    """An admin edits an account (audited); a change of rights or password ends its sessions.

    Admins cannot remove their own rights or deactivate themselves, so the hub always keeps
    at least one administrator. Returns the recorded changes.
    """
    email = normalise_email(email)
    display_name = display_name.strip()
    if not display_name:
        raise AccountError(_("Ce champ est obligatoire."), "display_name")
    if user.id == actor.id and not is_admin:
        raise AccountError(_("Vous ne pouvez pas retirer vos propres droits d'administration."), "is_admin")
    if user.id == actor.id and not is_active:
        raise AccountError(_("Vous ne pouvez pas désactiver votre propre compte."), "is_active")
    if email != user.email and get_user_by_email(db, email) is not None:
        raise AccountError(_("Un compte existe déjà avec cette adresse."), "email")
    _check_contact_free(db, contact_id, user.id)
    if new_password:
        check_new_password(new_password)
    # everything is checked before anything changes: a refusal leaves the account untouched
    values = {
        "email": email,
        "display_name": display_name,
        "is_admin": is_admin,
        "is_active": is_active,
        "contact_id": contact_id,
    }
    changes = audit.diff(user, values)
    for key, value in values.items():
        setattr(user, key, value)
    if new_password:
        user.password_hash = hash_password(new_password)
        changes["password"] = ["", "modifié"]
    if changes.keys() & (RIGHTS_FIELDS | {"password"}):
        revoke_sessions(user)
    if changes:
        audit.record(db, actor, "accounts.user.updated", user, changes=changes)
    db.flush()
    return changes


def user_choices(db: Session) -> list[tuple[int, str]]:
    """``(id, "Name – address")`` of every account, by name (for filters)."""
    rows = db.execute(
        select(User.id, User.display_name, User.email).order_by(func.lower(User.display_name), User.id)
    ).all()
    return [(uid, f"{name} – {email}") for uid, name, email in rows]
