"""argon2id password hashing (argon2-cffi), always off the event loop: callers run in threads."""

from __future__ import annotations

import contextlib
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 low-memory profile

MIN_LENGTH = 10


@cache
def _dummy_hash() -> str:
    """Verified against when the address is unknown, so both paths cost the same time.

    Made on first use (in the worker thread of that first sign-in), not at import.
    """
    return _hasher.hash("réseau: no such user")


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; an unknown user (``None``) still pays for a verification."""
    if password_hash is None:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_dummy_hash(), password)
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash uses older parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)
