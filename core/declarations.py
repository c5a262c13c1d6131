"""The frozen dataclasses that plugins return from hooks.

Declarations (returned once, at app build) carry a namespaced ``name`` (``<plugin>.<x>``, or
``core.<x>`` for the core's own); contributions (returned per request) carry an ``order``
because pluggy calls plugins in LIFO order and the core sorts them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from markupsafe import Markup

if TYPE_CHECKING:
    from core.plugins import Hooks

if TYPE_CHECKING:
    from babel.support import LazyProxy

#: a user-facing text: a string, or a lazy translation (``_l("…")``) evaluated when shown
Label: TypeAlias = "str | LazyProxy"


@dataclass(frozen=True)
class SpaceKind:
    """A kind of space (a platform, a working group, a committee…)."""

    name: str
    label: Label
    description: Label = ""


@dataclass(frozen=True)
class SpaceRole:
    """A role a person can hold in a space, beyond the core's ``core.animator`` and ``core.member``."""

    name: str
    label: Label
    description: Label = ""


@dataclass(frozen=True)
class Permission:
    """A permission, granted in a space to the holders of ``roles`` (admins hold every one)."""

    name: str
    label: Label
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class MeetingKind:
    """A kind of meeting (réunion, plénière, session de formation…)."""

    name: str
    label: Label


@dataclass(frozen=True)
class NavItem:
    """An entry of the main navigation."""

    key: str
    label: Label
    url: str
    order: int = 100


@dataclass(frozen=True)
class Panel:
    """A block of HTML a plugin adds to a core page (dashboard, space, partner, meeting)."""

    key: str
    title: str
    html: Markup
    order: int = 100


@dataclass(frozen=True)
class CliCommand:
    """A ``reseau <name>`` sub-command contributed by a plugin (a click command or group)."""

    name: str
    command: Any  # click.Command; kept loose so declarations do not import click


@dataclass(frozen=True)
class ReminderRuleDecl:
    """Placeholder shape of a reminder rule, refined by :mod:`core.reminders`.

    Kept here so the hookspec can name its return type before the engine lands.
    """

    name: str
    label: Label
    description: Label = ""
    collect: Callable[..., Any] | None = None
    options: dict[str, Any] = field(default_factory=dict)


def check_namespaced(names: list[str], owner: str) -> None:
    """Raise when a declared name is not ``<owner>.<x>`` (the core checks every declaration)."""
    for name in names:
        prefix, _, rest = name.partition(".")
        if prefix != owner or not rest:
            raise ValueError(f"{name!r} declared by {owner!r} must be named '{owner}.<name>'")


@dataclass(frozen=True)
class Registry:
    """What the plugins declared at build time, indexed by name."""

    space_kinds: dict[str, SpaceKind]
    space_roles: dict[str, SpaceRole]
    permissions: dict[str, Permission]
    meeting_kinds: dict[str, MeetingKind]
    reminder_rules: dict[str, Any]

    @classmethod
    def from_hooks(cls, hooks: Hooks) -> Registry:
        return cls(
            space_kinds={k.name: k for k in hooks.space_kinds()},
            space_roles={r.name: r for r in hooks.space_roles()},
            permissions={p.name: p for p in hooks.permissions()},
            meeting_kinds={k.name: k for k in hooks.meeting_kinds()},
            reminder_rules={r.name: r for r in hooks.reminder_rules()},
        )
