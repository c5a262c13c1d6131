"""Forms of the calendar pages: meeting, cancellation, series, agenda item, invitations, answer.

Dates and times are typed as Paris wall times in separate fields (``type=date`` and
``type=time``, which also accept "25/10/2026" and "14h30" where a browser has no picker).
:meth:`MeetingTimesMixin.instants` turns them into UTC, refusing a time in the spring-forward
gap and asking which one is meant when it happens twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

from wtforms import (
    BooleanField,
    DateField,
    Field,
    Form,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from core.calendar.invitations import ANSWERS, RESPONSES, response_label
from core.calendar.models import MEMBERS, PUBLIC
from core.calendar.series import MONTH, NTH_WEEKDAY, POSITION_LABELS, SAME_DAY, WEEK, WEEKDAY_LABELS
from core.calendar.timeparse import (
    AmbiguousTime,
    NonexistentTime,
    WallTime,
    fold_label,
    is_ambiguous,
    wall_to_utc,
)
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from core.web.forms import REQUIRED, BaseForm, WebUrl

_TIME = re.compile(r"^\s*(\d{1,2})\s*(?:[:hH.]\s*(\d{2})?)?\s*$")


def choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """WTForms choices from ``(value, label)`` pairs (tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


def add_error(form: Form, name: str | None, message: str) -> None:
    """Attach an error found after validation (by a service) to a field, or to the form."""
    if name is None or name not in form._fields:
        form.form_errors.append(message)
        return
    field = form[name]
    field.errors = [*field.errors, message]


class ParisDateField(DateField):
    """A date typed as ``2026-10-25`` (date picker) or ``25/10/2026``."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("format", ["%Y-%m-%d", "%d/%m/%Y"])
        kwargs.setdefault("invalid_value_message", _l("Date invalide : utilisez le format jj/mm/aaaa."))
        super().__init__(label, validators, **kwargs)

    def _value(self) -> str:
        return self.data.isoformat() if isinstance(self.data, date) else super()._value()


class ParisTimeField(TimeField):
    """A time typed as ``14:30`` (time picker), ``14h30``, ``14h`` or ``14.30``."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("invalid_value_message", _l("Heure invalide : utilisez le format 14:30."))
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        raw = str(valuelist[0]).strip()
        if re.fullmatch(r"\d{1,2}:\d{2}:\d{2}", raw):
            raw = raw[:-3]
        match = _TIME.match(raw)
        if match:
            hour, minute = int(match.group(1)), int(match.group(2) or 0)
            if hour < 24 and minute < 60:
                self.data = time(hour, minute)
                return
        self.data = None
        raise ValueError(str(self.invalid_value_message))

    def _value(self) -> str:
        return self.data.strftime("%H:%M") if isinstance(self.data, time) else super()._value()


FOLD_LABELS = [("0", _l("heure d'été (UTC+2)")), ("1", _l("heure d'hiver (UTC+1)"))]


def _fold_choices() -> list[SelectChoice]:
    # the meeting form relabels them for the actual date; these are the Paris ones
    return choices(FOLD_LABELS)


class MeetingTimesMixin:
    """Start and end as Paris date + time fields, with the DST choices; see :meth:`instants`."""

    start_date: ParisDateField
    start_time: ParisTimeField
    end_date: ParisDateField
    end_time: ParisTimeField
    start_fold: RadioField
    end_fold: RadioField

    def _end_day(self) -> date | None:
        day: date | None = self.end_date.data or self.start_date.data
        return day

    def ambiguity(self) -> dict[str, WallTime | None]:
        """The start and end wall times that happen twice (the template then asks which one)."""
        result: dict[str, WallTime | None] = {"start": None, "end": None}
        if (
            self.start_date.data
            and self.start_time.data
            and is_ambiguous(self.start_date.data, self.start_time.data)
        ):
            result["start"] = WallTime(self.start_date.data, self.start_time.data)
        end_day = self._end_day()
        if end_day and self.end_time.data and is_ambiguous(end_day, self.end_time.data):
            result["end"] = WallTime(end_day, self.end_time.data)
        return result

    def fold_labels(self) -> dict[str, list[tuple[str, str]]]:
        """The two readings of each ambiguous time, labelled for its own date."""
        labels: dict[str, list[tuple[str, str]]] = {}
        for which, wall in self.ambiguity().items():
            if wall is not None:
                labels[which] = [(str(f), fold_label(f, wall.day, wall.at)) for f in (0, 1)]
        return labels

    def instants(self) -> tuple[datetime, datetime] | None:
        """The start and end in UTC, or ``None`` with the errors attached to the fields."""
        assert isinstance(self, Form)
        if not (self.start_date.data and self.start_time.data and self.end_time.data):
            return None
        result: list[datetime] = []
        for day, at, fold_field, time_field in (
            (self.start_date.data, self.start_time.data, self.start_fold, self.start_time),
            (self._end_day(), self.end_time.data, self.end_fold, self.end_time),
        ):
            assert day is not None
            fold = int(fold_field.data) if fold_field.data in ("0", "1") else None
            try:
                result.append(wall_to_utc(day, at, fold=fold))
            except NonexistentTime as exc:
                add_error(self, time_field.name, str(exc))
            except AmbiguousTime as exc:
                add_error(self, fold_field.name, str(exc))
        if len(result) != 2:
            return None
        return result[0], result[1]


class MeetingForm(MeetingTimesMixin, BaseForm):
    """Create, edit or duplicate a meeting. ``space_id`` and ``kind`` choices are set by the view."""

    space_id = SelectField(
        _l("Espace"), coerce=int, validators=[DataRequired(REQUIRED)], validate_choice=True
    )
    kind = SelectField(_l("Type de réunion"), validators=[DataRequired(REQUIRED)])
    title = StringField(_l("Titre"), validators=[DataRequired(REQUIRED), Length(max=200)])
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=10000)],
        description=_l("Objet de la réunion, public attendu, documents à préparer…"),
    )
    start_date = ParisDateField(_l("Date"), validators=[DataRequired(REQUIRED)])
    start_time = ParisTimeField(
        _l("Heure de début"),
        validators=[DataRequired(REQUIRED)],
        description=_l("Heure de Paris, par exemple 14:30."),
    )
    end_time = ParisTimeField(_l("Heure de fin"), validators=[DataRequired(REQUIRED)])
    end_date = ParisDateField(
        _l("Date de fin"),
        validators=[Optional()],
        description=_l("Seulement si la réunion se termine un autre jour."),
    )
    start_fold = RadioField(
        _l("Heure de début"), choices=_fold_choices(), validators=[Optional()], validate_choice=False
    )
    end_fold = RadioField(
        _l("Heure de fin"), choices=_fold_choices(), validators=[Optional()], validate_choice=False
    )
    location = StringField(
        _l("Lieu (adresse)"),
        validators=[Optional(), Length(max=300)],
        description=_l("Par exemple : Hôtel de ville, place de l'Hôtel de ville, 94350 Villiers-sur-Marne."),
    )
    room = StringField(_l("Salle"), validators=[Optional(), Length(max=120)])
    online_url = StringField(
        _l("Lien de visioconférence"),
        validators=[Optional(), Length(max=500), WebUrl()],
        description=_l("Adresse commençant par https://. Avec un lieu, la réunion est hybride."),
    )
    visibility = RadioField(
        _l("Visibilité"),
        choices=choices(
            [
                (MEMBERS, _l("Réservée aux membres de l'espace et aux personnes invitées")),
                (PUBLIC, _l("Publique : visible de tous, y compris dans l'agenda public")),
            ]
        ),
        default=MEMBERS,
        validators=[DataRequired(REQUIRED)],
    )
    reminders_enabled = BooleanField(
        _l("Envoyer les rappels automatiques aux personnes invitées"), default=True
    )
    confirm_past = BooleanField(
        _l("Je confirme : cette réunion a déjà eu lieu, je l'enregistre pour mémoire.")
    )
    confirm_conflicts = BooleanField(_l("J'ai vu ces conflits et je confirme l'enregistrement."))
    copy_agenda = BooleanField(_l("Reprendre l'ordre du jour"), default=True)
    copy_invitations = BooleanField(_l("Inviter les mêmes personnes (leurs réponses repartent de zéro)"))


#: service field names → form field names
SERVICE_FIELDS = {
    "starts_at": "start_time",
    "ends_at": "end_time",
    "space_id": "space_id",
    "title": "title",
    "kind": "kind",
    "location": "location",
    "room": "room",
    "online_url": "online_url",
    "visibility": "visibility",
    "confirm_past": "confirm_past",
    "description": "description",
}


def apply_service_errors(
    form: Form, errors: dict[str, list[str]], mapping: dict[str, str] | None = None
) -> None:
    """Attach a service's ``{field: [messages]}`` to the form's fields (unknown ones to the form)."""
    mapping = SERVICE_FIELDS if mapping is None else mapping
    for name, messages in errors.items():
        for message in messages:
            add_error(form, mapping.get(name, name if name in form._fields else None), message)


class CancelForm(BaseForm):
    """Cancel a meeting: the reason is required and shown on the meeting page."""

    reason = TextAreaField(
        _l("Raison de l'annulation"),
        validators=[DataRequired(REQUIRED), Length(max=2000)],
        description=_l("Elle sera indiquée aux personnes invitées et sur la page de la réunion."),
    )


class SeriesForm(BaseForm):
    """A series of meetings from a recurrence rule (see :mod:`core.calendar.series`)."""

    space_id = SelectField(_l("Espace"), coerce=int, validators=[DataRequired(REQUIRED)])
    kind = SelectField(_l("Type de réunion"), validators=[DataRequired(REQUIRED)])
    title = StringField(_l("Titre de chaque réunion"), validators=[DataRequired(REQUIRED), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=10000)])
    frequency = RadioField(
        _l("Fréquence"),
        choices=choices([(WEEK, _l("Toutes les N semaines")), (MONTH, _l("Tous les N mois"))]),
        default=MONTH,
        validators=[DataRequired(REQUIRED)],
    )
    interval = IntegerField(
        _l("Intervalle N"),
        default=1,
        validators=[DataRequired(REQUIRED), NumberRange(1, 24)],
        description=_l("Par exemple 6 pour « tous les 6 mois », 2 pour « toutes les deux semaines »."),
    )
    monthly_mode = RadioField(
        _l("Jour du mois (fréquence mensuelle)"),
        choices=choices(
            [
                (NTH_WEEKDAY, _l("Un jour de semaine à une position, par exemple le premier mardi")),
                (
                    SAME_DAY,
                    _l("Le même jour du mois que la première date (les mois sans ce jour sont sautés)"),
                ),
            ]
        ),
        default=NTH_WEEKDAY,
        validators=[Optional()],
    )
    position = SelectField(
        _l("Position"),
        choices=choices((str(k), v) for k, v in POSITION_LABELS.items()),
        default="1",
        validators=[Optional()],
    )
    weekday = SelectField(
        _l("Jour de la semaine"),
        choices=choices((str(i), label) for i, label in enumerate(WEEKDAY_LABELS)),
        default="1",
        validators=[Optional()],
    )
    first = ParisDateField(
        _l("À partir du"),
        validators=[DataRequired(REQUIRED)],
        description=_l("La série commence à la première date qui suit la règle à partir de ce jour."),
    )
    count = IntegerField(_l("Nombre de réunions"), validators=[Optional(), NumberRange(1, 52)])
    until = ParisDateField(_l("Ou jusqu'au (inclus)"), validators=[Optional()])
    start_time = ParisTimeField(_l("Heure de début"), validators=[DataRequired(REQUIRED)])
    end_time = ParisTimeField(_l("Heure de fin"), validators=[DataRequired(REQUIRED)])
    start_fold = RadioField(
        _l("Heure de début"), choices=_fold_choices(), validators=[Optional()], validate_choice=False
    )
    end_fold = RadioField(
        _l("Heure de fin"), choices=_fold_choices(), validators=[Optional()], validate_choice=False
    )
    location = StringField(_l("Lieu (adresse)"), validators=[Optional(), Length(max=300)])
    room = StringField(_l("Salle"), validators=[Optional(), Length(max=120)])
    online_url = StringField(
        _l("Lien de visioconférence"), validators=[Optional(), Length(max=500), WebUrl()]
    )
    visibility = RadioField(
        _l("Visibilité"),
        choices=choices(
            [
                (MEMBERS, _l("Réservée aux membres de l'espace et aux personnes invitées")),
                (PUBLIC, _l("Publique : visible de tous, y compris dans l'agenda public")),
            ]
        ),
        default=MEMBERS,
        validators=[DataRequired(REQUIRED)],
    )
    reminders_enabled = BooleanField(
        _l("Envoyer les rappels automatiques aux personnes invitées"), default=True
    )
    confirm_past = BooleanField(
        _l("Je confirme : certaines dates sont passées, je les enregistre pour mémoire.")
    )
    confirm_conflicts = BooleanField(_l("J'ai vu ces conflits et je confirme la création."))

    def validate_count(self, field: Field) -> None:
        """Exactly one of "count" and "until"."""
        from wtforms import ValidationError

        if field.data is None and self.until.data is None:
            raise ValidationError(_("Indiquez un nombre de réunions ou une date de fin."))
        if field.data is not None and self.until.data is not None:
            raise ValidationError(_("Indiquez un nombre de réunions ou une date de fin, pas les deux."))


class AgendaItemForm(BaseForm):
    """An agenda item; ``presenter`` choices (contacts) are set by the view."""

    title = StringField(_l("Intitulé du point"), validators=[DataRequired(REQUIRED), Length(max=300)])
    details = TextAreaField(_l("Précisions"), validators=[Optional(), Length(max=5000)])
    duration_minutes = IntegerField(
        _l("Durée prévue (minutes)"),
        validators=[Optional(), NumberRange(1, 24 * 60)],
    )
    presenter = SelectField(_l("Présenté par"), coerce=int, default=0, validators=[Optional()])


class AnswerForm(BaseForm):
    """An animator records an answer received another way (phone, paper)."""

    response = SelectField(_l("Réponse"), choices=choices((r, r) for r in RESPONSES))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.response.choices = choices((r, response_label(r)) for r in RESPONSES)


class RsvpForm(BaseForm):
    """The invitee's answer from the signed link."""

    answer = RadioField(
        _l("Votre réponse"), choices=choices((a, a) for a in ANSWERS), validators=[DataRequired(REQUIRED)]
    )
    comment = StringField(
        _l("Un mot pour l'équipe (facultatif)"),
        validators=[Optional(), Length(max=500)],
        description=_l("Par exemple : « je serai représentée par ma collègue »."),
    )
