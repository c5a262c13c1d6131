"""Forms of the plugin (WTForms on top of :mod:`core.web.forms`): shapes only; the rules that
need the database live in :mod:`plugins.groupes_techniques.services`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from core.directory.vocab import PILLARS
from core.i18n import lazy_gettext as _l
from core.web.forms import REQUIRED, BaseForm
from plugins.groupes_techniques.vocab import COMMITTEE_KIND, GROUP_KIND, MAX_MEETINGS, PERIODS

_LINE_CONTROL = re.compile("[\x00-\x1f\x7f\ufffe\uffff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def clean_line(value: Any) -> Any:
    """Strip a one-line text and drop control characters."""
    return _LINE_CONTROL.sub("", value).strip() if isinstance(value, str) else value


def clean_text(value: Any) -> Any:
    """Strip a multi-line text, keeping line breaks."""
    return _CONTROL.sub("", value).replace("\r\n", "\n").strip() if isinstance(value, str) else value


def options(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """WTForms choices from ``(value, label)`` pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):  # type: ignore[misc]  # WTForms is untyped
    """Several checkboxes in a fieldset (the forms macro renders it with a legend)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ObligationFields(BaseForm):
    """The obligation part, shared by the creation form and the obligation change form."""

    min_meetings = IntegerField(
        _l("Nombre minimum de réunions"),
        validators=[InputRequired(REQUIRED), NumberRange(min=0, max=MAX_MEETINGS)],
        default=1,
    )
    period = SelectField(_l("Période"), choices=options(PERIODS.items()), default="semester")


class GroupForm(ObligationFields):
    """Create a group or a committee."""

    name = StringField(_l("Nom"), filters=[clean_line], validators=[DataRequired(REQUIRED), Length(max=200)])
    kind = RadioField(
        _l("Type"),
        choices=options([(GROUP_KIND, _l("Groupe technique")), (COMMITTEE_KIND, _l("Comité de pilotage"))]),
        default=GROUP_KIND,
        validators=[DataRequired(REQUIRED)],
    )
    permanence = RadioField(
        _l("Durée"),
        choices=options(
            [("permanent", _l("Permanent")), ("ponctuel", _l("Ponctuel (avec une date de fin)"))]
        ),
        default="permanent",
        validators=[DataRequired(REQUIRED)],
    )
    ends_on = DateField(_l("Date de fin (groupe ponctuel)"), validators=[Optional()])
    theme = StringField(_l("Thème"), filters=[clean_line], validators=[Length(max=200)])
    # checked by the core space rules (an absent value means "none")
    pillar = SelectField(
        _l("Pilier du contrat"), choices=options([("", _l("Aucun")), *PILLARS.items()]), validate_choice=False
    )
    description = TextAreaField(_l("Description"), filters=[clean_text], validators=[Length(max=10_000)])
    animators = MultiCheckboxField(_l("Co-animateurs"), coerce=int)


class ObligationForm(ObligationFields):
    """Change a group's obligation from a date."""

    valid_from = SelectField(_l("À partir du"))


class PollForm(BaseForm):
    """Propose several dates to the group's members (up to six rows: a day and a start time)."""

    title = StringField(
        _l("Titre de la réunion"), filters=[clean_line], validators=[DataRequired(REQUIRED), Length(max=200)]
    )
    duration_minutes = IntegerField(
        _l("Durée (minutes)"), default=120, validators=[InputRequired(REQUIRED), NumberRange(min=15, max=720)]
    )
    location = StringField(_l("Lieu"), filters=[clean_line], validators=[Length(max=300)])
    message = TextAreaField(_l("Message aux membres"), filters=[clean_text], validators=[Length(max=5000)])


#: proposed dates offered on the form (a row left empty is ignored)
OPTION_ROWS = 6
# one "day" and one "start time" field per row; the template puts each row in its own fieldset
for _i in range(1, OPTION_ROWS + 1):
    setattr(PollForm, f"day_{_i}", DateField(_l("Jour"), validators=[Optional()]))
    setattr(
        PollForm,
        f"time_{_i}",
        StringField(_l("Heure de début"), filters=[clean_line], validators=[Length(max=5)]),
    )
