"""Imports every core model so that ``Base.metadata`` knows all core tables.

Plugins' models are imported by their hooks modules when the plugin manager registers them.
"""

from __future__ import annotations

from core.accounts.models import LoginAttempt, User
from core.audit.models import AuditEntry
from core.calendar.feed_models import FeedEventCache
from core.calendar.models import (
    ActionItem,
    AgendaItem,
    Attendance,
    Decision,
    FeedToken,
    Invitation,
    Meeting,
    Minutes,
)
from core.directory.models import Affiliation, Contact, Organisation, OrganisationTag
from core.reminders import models as reminder_models  # noqa: F401 - outbox tables
from core.resources.models import Resource
from core.spaces.models import Space, SpaceMembership

__all__ = [
    "ActionItem",
    "Affiliation",
    "AgendaItem",
    "Attendance",
    "AuditEntry",
    "Contact",
    "Decision",
    "FeedEventCache",
    "FeedToken",
    "Invitation",
    "LoginAttempt",
    "Meeting",
    "Minutes",
    "Organisation",
    "OrganisationTag",
    "Resource",
    "Space",
    "SpaceMembership",
    "User",
]
