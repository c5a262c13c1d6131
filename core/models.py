"""Imports every core model so that ``Base.metadata`` knows all core tables.

Plugins' models are imported by their hooks modules when the plugin manager registers them.
"""

from __future__ import annotations

from core.accounts.models import LoginAttempt, User
from core.audit.models import AuditEntry
from core.directory.models import Affiliation, Contact, Organisation, OrganisationTag
from core.spaces.models import Space, SpaceMembership

__all__ = [
    "Affiliation",
    "AuditEntry",
    "Contact",
    "LoginAttempt",
    "Organisation",
    "OrganisationTag",
    "Space",
    "SpaceMembership",
    "User",
]
