"""The plugin's forms (WTForms on top of :mod:`core.web.forms`).

Forms check shapes (required, lengths, numbers); the rules that need the database (windows,
capacity, duplicates, rights) live in the services, whose French errors the routes put next
to the field. Dates and times are typed in Paris time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from core.i18n import lazy_gettext as _l
from core.web.forms import REQUIRED, BaseForm, EmailAddress, Phone, WebUrl
from plugins.unite_formation.services import PARIS
from plugins.unite_formation.vocab import PUBLICS, QUESTIONS, SCALE, THEMES

TEXT_MAX = 5000


def options(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """WTForms choices from ``(value, label)`` pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def _choices(vocabulary: dict[Any, Any], blank: Any = None) -> list[SelectChoice]:
    items = list(vocabulary.items())
    return options([("", blank), *items] if blank is not None else items)


def paris_to_utc(value: datetime | None) -> datetime | None:
    """A naive Paris wall time from a form, as an aware UTC instant."""
    return value.replace(tzinfo=PARIS).astimezone(UTC) if value is not None else None


def utc_to_paris(value: datetime | None) -> datetime | None:
    """An aware instant as the naive Paris wall time a form shows."""
    return value.astimezone(PARIS).replace(tzinfo=None) if value is not None else None


class CycleForm(BaseForm):
    """A cycle's description, places and registration window."""

    space_id = SelectField(_l("Unité de formation"), coerce=int, validators=[InputRequired(REQUIRED)])
    title = StringField(_l("Titre"), validators=[DataRequired(REQUIRED), Length(max=200)])
    theme = SelectField(
        _l("Thème"), choices=_choices(THEMES, _l("Choisir…")), validators=[DataRequired(REQUIRED)]
    )
    public = SelectField(
        _l("Public visé"), choices=_choices(PUBLICS, _l("Choisir…")), validators=[DataRequired(REQUIRED)]
    )
    objectives = TextAreaField(_l("Objectifs"), validators=[DataRequired(REQUIRED), Length(max=TEXT_MAX)])
    programme = TextAreaField(_l("Programme"), validators=[Length(max=TEXT_MAX)])
    prerequisites = TextAreaField(_l("Prérequis"), validators=[Length(max=TEXT_MAX)])
    trainer_ids = SelectMultipleField(_l("Formateurs et formatrices"), coerce=int, validators=[Optional()])
    capacity = IntegerField(_l("Nombre de places"), validators=[InputRequired(REQUIRED), NumberRange(1, 500)])
    price = DecimalField(
        _l("Prix en euros (0 si gratuit)"),
        places=2,
        default=Decimal(0),
        validators=[Optional(), NumberRange(0, 10000)],
    )
    price_details = StringField(_l("Précisions sur le prix"), validators=[Length(max=200)])
    organiser = StringField(_l("Organisateur (imprimé sur les attestations)"), validators=[Length(max=200)])
    registration_opens_at = DateTimeLocalField(
        _l("Ouverture des inscriptions"), format="%Y-%m-%dT%H:%M", validators=[InputRequired(REQUIRED)]
    )
    registration_closes_at = DateTimeLocalField(
        _l("Clôture des inscriptions"), format="%Y-%m-%dT%H:%M", validators=[InputRequired(REQUIRED)]
    )
    attendance_threshold = IntegerField(
        _l("Présence minimale pour l'attestation (%)"),
        default=80,
        validators=[InputRequired(REQUIRED), NumberRange(1, 100)],
    )
    offer_hours = IntegerField(
        _l("Délai pour accepter une place libérée (heures)"),
        default=48,
        validators=[InputRequired(REQUIRED), NumberRange(1, 336)],
    )

    def values(self) -> dict[str, Any]:
        """The values for :func:`plugins.unite_formation.services.save_cycle`."""
        price = self.price.data or Decimal(0)
        return {
            "title": self.title.data,
            "theme": self.theme.data,
            "public": self.public.data,
            "objectives": self.objectives.data,
            "programme": self.programme.data,
            "prerequisites": self.prerequisites.data,
            "capacity": self.capacity.data,
            "price_cents": int((price * 100).to_integral_value()),
            "price_details": self.price_details.data,
            "organiser": self.organiser.data,
            "registration_opens_at": paris_to_utc(self.registration_opens_at.data),
            "registration_closes_at": paris_to_utc(self.registration_closes_at.data),
            "attendance_threshold": self.attendance_threshold.data,
            "offer_hours": self.offer_hours.data,
        }


class SessionForm(BaseForm):
    """One session: a day, start and end times, a place or an online link."""

    day = DateField(_l("Date"), validators=[InputRequired(REQUIRED)])
    starts = TimeField(_l("Début"), validators=[InputRequired(REQUIRED)])
    ends = TimeField(_l("Fin"), validators=[InputRequired(REQUIRED)])
    location = StringField(_l("Lieu"), validators=[Length(max=300)])
    online_url = StringField(_l("Lien de visioconférence"), validators=[Optional(), WebUrl()])


class RegistrationForm(BaseForm):
    """Registering for a cycle (the details are prefilled for a signed-in person)."""

    first_name = StringField(_l("Prénom"), validators=[Length(max=100)])
    last_name = StringField(_l("Nom"), validators=[DataRequired(REQUIRED), Length(max=100)])
    email = StringField(_l("Adresse électronique"), validators=[DataRequired(REQUIRED), EmailAddress()])
    phone = StringField(_l("Téléphone"), validators=[Optional(), Phone()])
    organisation = StringField(_l("Structure ou organisation"), validators=[Length(max=200)])
    public_category = RadioField(
        _l("Vous venez en tant que"), choices=_choices(PUBLICS), validators=[InputRequired(REQUIRED)]
    )
    priority_area = BooleanField(_l("J'habite ou je travaille dans le quartier des Hautes-Noues"))
    accessibility_needs = TextAreaField(
        _l("Besoins d'accessibilité ou d'aménagement"), validators=[Length(max=2000)]
    )


class CancelCycleForm(BaseForm):
    reason = TextAreaField(
        _l("Raison de l'annulation"), validators=[DataRequired(REQUIRED), Length(max=2000)]
    )


def _scale() -> list[SelectChoice]:
    return options(SCALE.items())


class EvaluationForm(BaseForm):
    """The satisfaction questionnaire: five questions from 1 to 5 and a comment."""

    overall = RadioField(
        QUESTIONS["overall"], coerce=int, choices=_scale(), validators=[InputRequired(REQUIRED)]
    )
    content = RadioField(
        QUESTIONS["content"], coerce=int, choices=_scale(), validators=[InputRequired(REQUIRED)]
    )
    trainer = RadioField(
        QUESTIONS["trainer"], coerce=int, choices=_scale(), validators=[InputRequired(REQUIRED)]
    )
    useful = RadioField(
        QUESTIONS["useful"], coerce=int, choices=_scale(), validators=[InputRequired(REQUIRED)]
    )
    organisation = RadioField(
        QUESTIONS["organisation"], coerce=int, choices=_scale(), validators=[InputRequired(REQUIRED)]
    )
    comment = TextAreaField(_l("Un commentaire, une suggestion ?"), validators=[Length(max=2000)])
