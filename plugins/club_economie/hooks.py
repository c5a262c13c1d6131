"""Hook implementations of the club_economie plugin: short functions that delegate."""

from __future__ import annotations

from core import hookimpl
from core.declarations import SpaceKind
from core.i18n import lazy_gettext as _l


@hookimpl
def reseau_register_space_kinds() -> list[SpaceKind]:
    return [
        SpaceKind(
            "club_economie.club",
            _l("Club des acteurs de l'économie"),
            _l("Entreprises, commerçants, acteurs de l'emploi et de l'insertion."),
        ),
    ]
