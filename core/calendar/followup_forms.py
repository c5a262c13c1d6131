"""Forms of the follow-up pages."""

from __future__ import annotations

from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from core.i18n import lazy_gettext as _l
from core.web.forms import REQUIRED, BaseForm


def _optional_int(value: object) -> int | None:
    if value in (None, "", "None"):
        return None
    try:
        return int(str(value))
    except ValueError:
        return -1  # refused by the choices check


class MinutesForm(BaseForm):
    """The compte rendu, in Markdown."""

    body = TextAreaField(_l("Compte rendu"), [Length(max=200_000)])


class DecisionForm(BaseForm):
    """A decision taken at the meeting."""

    text = TextAreaField(_l("Décision"), [InputRequired(REQUIRED), Length(max=5000)])


class ActionItemForm(BaseForm):
    """An action to carry out, its owner and due date."""

    title = StringField(_l("Action à mener"), [InputRequired(REQUIRED), Length(max=300)])
    owner_contact_id = SelectField(_l("Responsable"), coerce=_optional_int, validate_choice=True)
    due_on = DateField(_l("Échéance"), [Optional()], format="%Y-%m-%d")

    def set_owners(self, owners: list[tuple[int, str]]) -> None:
        """Offer these contacts (id, label) as owners, plus "nobody yet"."""
        self.owner_contact_id.choices = [SelectChoice(None, str(_l("— à désigner —")))] + [
            SelectChoice(cid, label)
            for cid, label in owners
        ]


class WalkInForm(BaseForm):
    """Someone who came without an invitation and is not in the directory yet."""

    first_name = StringField(_l("Prénom"), [Optional(), Length(max=100)])
    last_name = StringField(_l("Nom"), [InputRequired(REQUIRED), Length(max=100)])
    organisation_id = SelectField(_l("Organisation représentée"), coerce=_optional_int, validate_choice=True)

    def set_organisations(self, organisations: list[tuple[int, str]]) -> None:
        """Offer these organisations (id, name), plus "none"."""
        self.organisation_id.choices = [SelectChoice(None, str(_l("— aucune —")))] + [
            SelectChoice(oid, name)
            for oid, name in organisations
        ]
