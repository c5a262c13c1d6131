"""Hook implementations of the groupes_techniques plugin: short functions that delegate."""

from __future__ import annotations

from core import hookimpl
from core.declarations import SpaceKind
from core.i18n import lazy_gettext as _l


@hookimpl
def reseau_register_space_kinds() -> list[SpaceKind]:
    return [
        SpaceKind(
            "groupes_techniques.groupe",
            _l("Groupe technique"),
            _l("Un groupe de travail thématique, permanent ou ponctuel, qui doit se réunir régulièrement."),
        ),
        SpaceKind(
            "groupes_techniques.comite",
            _l("Comité de pilotage"),
            _l("Une instance de gouvernance du Contrat de ville."),
        ),
    ]
