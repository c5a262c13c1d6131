"""The security tests share the accounts tests' fixtures."""

from __future__ import annotations

from tests.core.accounts.conftest import admin_client, essai_app, fast_hashing, real_hashing

__all__ = ["admin_client", "essai_app", "fast_hashing", "real_hashing"]
