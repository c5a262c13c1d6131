"""Hook implementations of the acces_services plugin: short functions that delegate."""

from __future__ import annotations

from core import hookimpl
from core.declarations import SpaceKind
from core.i18n import lazy_gettext as _l


@hookimpl
def reseau_register_space_kinds() -> list[SpaceKind]:
    return [
        SpaceKind(
            "acces_services.plateforme",
            _l("Plateforme d'accès aux services"),
            _l("Comprendre et lever les freins à l'accès aux services du territoire."),
        ),
    ]
