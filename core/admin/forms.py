"""Filter forms of the administration pages (read from the query string)."""

from __future__ import annotations

from typing import Any

from wtforms import DateField, SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from core.accounts.forms import optional_int, select_choices
from core.i18n import lazy_gettext as _l
from core.web.forms import BaseForm

YES_NO_ANY = [("", _l("Tous")), ("oui", _l("Oui")), ("non", _l("Non"))]


def yes_no_any() -> list[SelectChoice]:
    """Options of a yes/no/any filter, in the request's language."""
    return select_choices(YES_NO_ANY)


class UserFilterForm(BaseForm):
    """Search and filters of the users list."""

    q = StringField(_l("Rechercher (nom ou adresse)"), [Optional(), Length(max=200)])
    actif = SelectField(_l("Compte actif"), default="")
    admin = SelectField(_l("Administrateur·rice"), default="")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actif.choices = yes_no_any()
        self.admin.choices = yes_no_any()


class AuditFilterForm(BaseForm):
    """Filters of the audit log."""

    action = SelectField(_l("Action"), default="")
    user = SelectField(_l("Auteur·rice"), coerce=optional_int, default="")
    object_type = SelectField(_l("Type d'objet"), default="")
    since = DateField(_l("Du"), [Optional()], description=_l("Premier jour inclus."))
    until = DateField(_l("Au"), [Optional()], description=_l("Dernier jour inclus."))

    def validate_until(self, field: DateField) -> None:
        """The range must not end before it starts."""
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(str(_l("La date de fin précède la date de début.")))
