"""``reseau directory import|export`` (filled by the directory work)."""

from __future__ import annotations

import click

commands: list[click.Command] = []
