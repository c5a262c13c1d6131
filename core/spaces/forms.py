"""Forms of the space pages (labels in French; choices filled from the declarations)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from wtforms import DateField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from core.directory.vocab import PILLARS
from core.i18n import lazy_gettext as _l
from core.spaces.services import DESCRIPTION_MAX, NAME_MAX, SpaceValues
from core.web.forms import REQUIRED, BaseForm

if TYPE_CHECKING:
    from core.declarations import SpaceKind, SpaceRole

PERMANENT = "permanent"
AD_HOC = "ponctuel"


class SpaceForm(BaseForm):
    """Create or edit a space."""

    name = StringField(_l("Nom de l'espace"), [InputRequired(REQUIRED), Length(max=NAME_MAX)])
    kind = SelectField(_l("Type d'espace"), [InputRequired(REQUIRED)], choices=[])
    pillar = SelectField(_l("Pilier du Contrat de ville"), choices=[])
    description = TextAreaField(
        _l("Description"),
        [Length(max=DESCRIPTION_MAX)],
        description=_l("À quoi sert l'espace, qui il réunit, à quel rythme."),
    )
    duration = RadioField(
        _l("Durée"),
        [InputRequired(REQUIRED)],
        choices=[
            SelectChoice(PERMANENT, _l("Permanent")),
            SelectChoice(AD_HOC, _l("Ponctuel, jusqu'à une date de fin")),
        ],
        default=PERMANENT,
    )
    ends_on = DateField(
        _l("Date de fin (espace ponctuel)"),
        [Optional()],
        description=_l("Obligatoire pour un espace ponctuel. Format : jj/mm/aaaa ou aaaa-mm-jj."),
        format=["%Y-%m-%d", "%d/%m/%Y"],
    )

    def set_choices(self, kinds: Mapping[str, SpaceKind]) -> None:
        """Offer the declared kinds and the contract's pillars."""
        self.kind.choices = [
            SelectChoice("", _l("— Choisir —")),
            *(SelectChoice(name, k.label) for name, k in kinds.items()),
        ]
        self.pillar.choices = [
            SelectChoice("", _l("Aucun (transversal)")),
            *(SelectChoice(code, label) for code, label in PILLARS.items()),
        ]

    def values(self) -> SpaceValues:
        """The submitted values, for the services."""
        return SpaceValues(
            name=self.name.data or "",
            kind=self.kind.data or "",
            description=self.description.data or "",
            is_permanent=self.duration.data != AD_HOC,
            ends_on=self.ends_on.data,
            pillar=self.pillar.data or None,
        )


class MemberForm(BaseForm):
    """Add the chosen contact or organisation to a space with a role."""

    holder = StringField(_l("Personne ou organisation à ajouter"), [InputRequired(REQUIRED), Length(max=40)])
    role = SelectField(_l("Rôle dans l'espace"), [InputRequired(REQUIRED)], choices=[])
    q = StringField(_l("Recherche"), [Optional(), Length(max=200)])

    def set_choices(self, roles: Mapping[str, SpaceRole]) -> None:
        """Offer the declared roles."""
        self.role.choices = [SelectChoice(name, r.label) for name, r in roles.items()]
