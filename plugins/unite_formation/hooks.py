"""Hook implementations of the unite_formation plugin: short functions that delegate."""

from __future__ import annotations

from core import hookimpl
from core.declarations import SpaceKind
from core.i18n import lazy_gettext as _l


@hookimpl
def reseau_register_space_kinds() -> list[SpaceKind]:
    return [
        SpaceKind(
            "unite_formation.unite",
            _l("Unité locale de formation"),
            _l("Cycles de formation courts pour bénévoles, médiateurs, professionnels et parents."),
        ),
    ]
