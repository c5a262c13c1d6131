"""Reminder tables (filled by the reminders work)."""

from __future__ import annotations
