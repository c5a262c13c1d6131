"""``reseau worker`` and ``reseau reminders …`` (filled by the reminders work)."""

from __future__ import annotations

import click

commands: list[click.Command] = []
