"""The plugin's forms (WTForms on top of :mod:`core.web.forms`).

Forms check shapes (required, lengths, numbers); the rules that need the database or the
platform's settings (who may file under which organisation, periods, counts) live in
:mod:`plugins.acces_services.services`, whose French errors the routes put next to the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from wtforms import (
    BooleanField,
    Field,
    FileField,
    FloatField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from core.i18n import lazy_gettext as _l
from core.web.forms import REQUIRED, BaseForm, EmailAddress, Phone, WebUrl
from plugins.acces_services.models import NAME_MAX, SERVICE_FIELDS, SETTINGS_FIELDS, SHORT_MAX, TEXT_MAX
from plugins.acces_services.vocab import (
    ACCESSIBILITY,
    CATEGORIES,
    DISTANCE_BANDS,
    PERIOD_KINDS,
    PROPOSAL_KINDS,
    PUBLICS,
)

LONG_MAX = 2000
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_LINE_CONTROL = re.compile("[\x00-\x1f\x7f\ufffe\uffff]")


def clean_line(value: Any) -> Any:
    """Strip a one-line text and drop control characters (they break XML and CSV output)."""
    return _LINE_CONTROL.sub("", value).strip() if isinstance(value, str) else value


def clean_text(value: Any) -> Any:
    """Strip a multi-line text, keeping line breaks and tabs but no other control character."""
    return _CONTROL.sub("", value).replace("\r\n", "\n").strip() if isinstance(value, str) else value


def options(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """WTForms choices from ``(value, label)`` pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def _choices(vocabulary: dict[str, Any], blank: Any = None) -> list[SelectChoice]:
    items = list(vocabulary.items())
    return options([("", blank), *items] if blank is not None else items)


class MultiCheckboxField(SelectMultipleField):  # type: ignore[misc]
    """Several checkboxes in a fieldset (the forms macro renders it with a legend)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class FrenchFloatField(FloatField):  # type: ignore[misc]
    """A decimal number typed the French way ("48,8312") or not."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and isinstance(valuelist[0], str):
            valuelist = [valuelist[0].strip().replace(",", ".").replace(" ", "")]
        super().process_formdata(valuelist)


class FrenchDecimalField(Field):  # type: ignore[misc]
    """A percentage such as "23" or "23,5", kept as a ``Decimal``."""

    widget = StringField.widget

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else str(self.data).replace(".", ",")

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            self.data = Decimal(str(valuelist[0]).strip().replace(",", ".").replace("%", "").strip())
        except InvalidOperation as exc:
            self.data = None
            raise ValueError(str(_l("Indiquez un nombre, par exemple 23 ou 23,5."))) from exc
        if not self.data.is_finite():
            self.data = None
            raise ValueError(str(_l("Indiquez un nombre, par exemple 23 ou 23,5.")))


class CountField(IntegerField):  # type: ignore[misc]
    """A whole number of people; "1 234" (with spaces) is read as 1234."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and isinstance(valuelist[0], str):
            valuelist = [re.sub(r"[\s\u00a0\u202f]", "", valuelist[0])]
        super().process_formdata(valuelist)


class ServiceForm(BaseForm):
    """Describe a service or prestation of the catalogue."""

    organisation_id = SelectField(
        _l("Organisation qui propose le service"), coerce=int, validators=[DataRequired(REQUIRED)]
    )
    name = StringField(
        _l("Nom du service"), filters=[clean_line], validators=[DataRequired(REQUIRED), Length(max=NAME_MAX)]
    )
    category = SelectField(
        _l("Catégorie"), choices=_choices(CATEGORIES, _l("Choisir…")), validators=[DataRequired(REQUIRED)]
    )
    description = TextAreaField(_l("Description"), filters=[clean_text], validators=[Length(max=TEXT_MAX)])
    publics = MultiCheckboxField(_l("Publics"), choices=_choices(PUBLICS))
    public_details = StringField(
        _l("Précisions sur le public"), filters=[clean_line], validators=[Length(max=SHORT_MAX)]
    )
    age_min = IntegerField(_l("Âge minimum"), validators=[Optional(), NumberRange(min=0, max=120)])
    age_max = IntegerField(_l("Âge maximum"), validators=[Optional(), NumberRange(min=0, max=120)])
    address = StringField(_l("Adresse du lieu"), filters=[clean_line], validators=[Length(max=SHORT_MAX)])
    postcode = StringField(
        _l("Code postal"),
        filters=[clean_line],
        validators=[Optional(), Regexp(r"^\d{5}$", message=_l("Cinq chiffres, par exemple 94350."))],
    )
    city = StringField(_l("Commune"), filters=[clean_line], validators=[Length(max=120)])
    distance_band = RadioField(
        _l("Distance depuis le quartier"), choices=_choices(DISTANCE_BANDS), validators=[Optional()]
    )
    latitude = FrenchFloatField(_l("Latitude"), validators=[Optional(), NumberRange(min=-90, max=90)])
    longitude = FrenchFloatField(_l("Longitude"), validators=[Optional(), NumberRange(min=-180, max=180)])
    opening_hours = TextAreaField(
        _l("Horaires d'ouverture"), filters=[clean_text], validators=[Length(max=LONG_MAX)]
    )
    is_free = BooleanField(_l("Gratuit"))
    price_details = TextAreaField(_l("Tarifs"), filters=[clean_text], validators=[Length(max=LONG_MAX)])
    has_social_pricing = BooleanField(_l("Tarification sociale (selon le quotient familial)"))
    social_pricing_details = TextAreaField(
        _l("Détail de la tarification sociale"), filters=[clean_text], validators=[Length(max=LONG_MAX)]
    )
    registration = TextAreaField(
        _l("Comment s'inscrire"), filters=[clean_text], validators=[Length(max=LONG_MAX)]
    )
    accessibility = MultiCheckboxField(_l("Accessibilité"), choices=_choices(ACCESSIBILITY))
    contact_name = StringField(
        _l("Contact (nom ou accueil)"), filters=[clean_line], validators=[Length(max=NAME_MAX)]
    )
    contact_email = StringField(
        _l("Adresse électronique"), filters=[clean_line], validators=[Length(max=254), EmailAddress()]
    )
    contact_phone = StringField(_l("Téléphone"), filters=[clean_line], validators=[Length(max=30), Phone()])
    website = StringField(_l("Site web"), filters=[clean_line], validators=[Length(max=500), WebUrl()])
    is_published = BooleanField(_l("Publier dans le catalogue"), default=True)

    def values(self) -> dict[str, Any]:
        """The validated data, in the shape :func:`services.save_service` expects."""
        fields = (*SERVICE_FIELDS, "distance_band", "publics", "accessibility")
        data: dict[str, Any] = {}
        for name in fields:
            field = self[name]
            if isinstance(field, BooleanField):
                data[name] = bool(field.data)
            elif isinstance(field, StringField):  # text areas too: never None in the database
                data[name] = field.data or ""
            else:
                data[name] = field.data
        return data


class FigureForm(BaseForm):
    """Enter the figures of one service for one period."""

    service_id = SelectField(_l("Service"), coerce=int, validators=[DataRequired(REQUIRED)])
    period = StringField(
        _l("Période"), filters=[clean_line], validators=[DataRequired(REQUIRED), Length(max=20)]
    )
    users_total = CountField(_l("Nombre d'usagers sur la période"), validators=[Optional()])
    users_neighbourhood = CountField(_l("Dont usagers habitant le quartier"), validators=[Optional()])


class FigureCorrectionForm(BaseForm):
    """Correct the figures of one service and period."""

    users_total = CountField(_l("Nombre d'usagers sur la période"), validators=[Optional()])
    users_neighbourhood = CountField(_l("Dont usagers habitant le quartier"), validators=[Optional()])


class ImportForm(BaseForm):
    """Import figures from a CSV file."""

    file = FileField(_l("Fichier CSV"))
    replace = BooleanField(_l("Corriger les chiffres déjà saisis pour les mêmes services et périodes"))


class ProposalForm(BaseForm):
    """A study, opinion, proposal or recommendation of the platform."""

    kind = SelectField(
        _l("Type de document"),
        choices=_choices(PROPOSAL_KINDS, _l("Choisir…")),
        validators=[DataRequired(REQUIRED)],
    )
    title = StringField(
        _l("Titre"), filters=[clean_line], validators=[DataRequired(REQUIRED), Length(max=NAME_MAX)]
    )
    body = TextAreaField(_l("Contenu"), filters=[clean_text], validators=[Length(max=20000)])
    service_ids = MultiCheckboxField(_l("Services concernés"), coerce=int)
    meeting_id = SelectField(
        _l("Réunion où elle a été adoptée"), coerce=lambda v: int(v) if v not in (None, "") else None
    )
    is_public = BooleanField(_l("Publier dans la liste publique des propositions"))

    def values(self) -> dict[str, Any]:
        """The validated data for :func:`services.save_proposal` (services apart)."""
        return {
            "kind": self.kind.data,
            "title": self.title.data,
            "body": self.body.data or "",
            "is_public": bool(self.is_public.data),
            "meeting_id": self.meeting_id.data,
        }


class StatusForm(BaseForm):
    """Move a proposal on (submitted, answered, implemented…), with the officials' answer."""

    status = SelectField(_l("Nouveau statut"), validators=[DataRequired(REQUIRED)])
    answer = TextAreaField(_l("Réponse des élus"), filters=[clean_text], validators=[Length(max=20000)])


class SettingsForm(BaseForm):
    """The platform's settings."""

    neighbourhood_name = StringField(
        _l("Nom du quartier prioritaire"),
        filters=[clean_line],
        validators=[DataRequired(REQUIRED), Length(max=120)],
    )
    neighbourhood_share = FrenchDecimalField(
        _l("Part de la population de la commune habitant le quartier (%)"),
        validators=[DataRequired(REQUIRED)],
    )
    period_kind = RadioField(
        _l("Période de saisie de la fréquentation"),
        choices=_choices(PERIOD_KINDS),
        validators=[DataRequired(REQUIRED)],
    )
    centre_latitude = FrenchFloatField(
        _l("Latitude du centre du quartier"), validators=[Optional(), NumberRange(min=-90, max=90)]
    )
    centre_longitude = FrenchFloatField(
        _l("Longitude du centre du quartier"), validators=[Optional(), NumberRange(min=-180, max=180)]
    )
    near_km = FrenchFloatField(_l("« Dans le quartier » jusqu'à (km)"), validators=[DataRequired(REQUIRED)])
    walk_km = FrenchFloatField(
        _l("« À quelques minutes à pied » jusqu'à (km)"), validators=[DataRequired(REQUIRED)]
    )
    city_km = FrenchFloatField(
        _l("« Ailleurs dans la commune » jusqu'à (km)"), validators=[DataRequired(REQUIRED)]
    )

    def values(self) -> dict[str, Any]:
        """The validated data for :func:`services.update_settings`."""
        return {name: self[name].data for name in SETTINGS_FIELDS}
