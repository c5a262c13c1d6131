"""WTForms forms of the club: the public application, the review actions, members' choices,
membership, resources and opinions. Messages are French; fields keep what was typed."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siret as siret_number
from wtforms import (
    BooleanField,
    Field,
    Form,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from core.directory.services import clean_text as _clean
from core.i18n import lazy_gettext as _l
from core.web.forms import REQUIRED, BaseForm, EmailAddress, Phone
from plugins.club_economie.services import APPLICATION_FIELDS
from plugins.club_economie.vocab import (
    LEGAL_FORMS,
    OPINION_KINDS,
    OPINION_STATUSES,
    RESOURCE_CATEGORIES,
    SIZE_BANDS,
)

TEXT_MAX = 5000
_NAF = re.compile(r"^(\d{2})\.?(\d{2})([A-Z])$")
_POSTCODE = re.compile(r"^\d{5}$")


def line(value: Any) -> Any:
    """One line of text, control characters removed, whitespace collapsed."""
    return _clean(value) if isinstance(value, str) else value


def text(value: Any) -> Any:
    """Multi-line text, control characters removed."""
    return _clean(value, multiline=True) if isinstance(value, str) else value


def options(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """WTForms choices from ``(value, label)`` pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def choices(vocabulary: dict[str, Any]) -> list[SelectChoice]:
    """The choices of a select from a vocabulary."""
    return options(vocabulary.items())


class Siret:
    """Validator: a valid SIRET (python-stdnum), stored as 14 digits; empty is allowed."""

    def __call__(self, form: Form, field: Field) -> None:
        value = field.data or ""
        if not value:
            return
        try:
            field.data = siret_number.validate(value)
        except StdnumError as exc:
            raise ValidationError(
                str(
                    _l(
                        "Ce numéro SIRET n'est pas valide : il compte 14 chiffres (9 du SIREN, "
                        "5 de l'établissement) et sa clé de contrôle doit être juste. "
                        "Vérifiez-le sur votre extrait Kbis ou avis de situation."
                    )
                )
            ) from exc


class NafCode:
    """Validator: a NAF/APE code like ``47.11B`` (the dot is added when missing)."""

    def __call__(self, form: Form, field: Field) -> None:
        value = (field.data or "").upper().replace(" ", "")
        if not value:
            field.data = ""
            return
        match = _NAF.match(value)
        if match is None:
            raise ValidationError(
                str(_l("Code NAF invalide : quatre chiffres et une lettre, par exemple 47.11B."))
            )
        field.data = f"{match[1]}.{match[2]}{match[3]}"


class Postcode:
    """Validator: a French postcode (five digits); empty is allowed."""

    def __call__(self, form: Form, field: Field) -> None:
        if field.data and not _POSTCODE.match(field.data):
            raise ValidationError(str(_l("Le code postal compte cinq chiffres.")))


class ApplicationForm(BaseForm):
    """The public application form (no account needed)."""

    name = StringField(
        _l("Nom de l'entreprise ou du projet"),
        filters=[line],
        validators=[DataRequired(REQUIRED), Length(max=200)],
    )
    siret = StringField(
        _l("Numéro SIRET"),
        description=_l("14 chiffres. Laissez vide si votre projet n'est pas encore immatriculé."),
        filters=[lambda v: re.sub(r"[\s.\-]", "", v) if isinstance(v, str) else v],
        validators=[Length(max=40), Siret()],
    )
    legal_form = SelectField(
        _l("Forme juridique"), choices=choices(LEGAL_FORMS), validators=[InputRequired(REQUIRED)]
    )
    naf_code = StringField(
        _l("Code NAF (APE)"),
        description=_l("Par exemple 47.11B ; il figure sur votre avis de situation Insee."),
        filters=[line],
        validators=[Length(max=10), NafCode()],
    )
    activity = StringField(
        _l("Activité"),
        description=_l("En quelques mots : ce que fait votre entreprise ou ce que fera votre projet."),
        filters=[line],
        validators=[Length(max=200)],
    )
    size_band = SelectField(_l("Effectif"), choices=choices(SIZE_BANDS), validators=[InputRequired(REQUIRED)])
    address = StringField(_l("Adresse"), filters=[line], validators=[Length(max=300)])
    postcode = StringField(_l("Code postal"), filters=[line], validators=[Length(max=10), Postcode()])
    city = StringField(_l("Commune"), filters=[line], validators=[Length(max=120)])
    in_priority_area = BooleanField(
        _l("L'adresse est dans le quartier prioritaire (Portes de Paris – Hautes-Noues)"),
    )
    first_name = StringField(_l("Prénom"), filters=[line], validators=[Length(max=100)])
    last_name = StringField(_l("Nom"), filters=[line], validators=[DataRequired(REQUIRED), Length(max=100)])
    function = StringField(_l("Fonction"), filters=[line], validators=[Length(max=200)])
    email = StringField(
        _l("Adresse électronique"),
        filters=[line],
        validators=[DataRequired(REQUIRED), Length(max=254), EmailAddress()],
    )
    phone = StringField(_l("Téléphone"), filters=[line], validators=[Length(max=30), Phone()])
    contribution = TextAreaField(
        _l("Ce que vous apportez au club"), filters=[text], validators=[Length(max=TEXT_MAX)]
    )
    expectations = TextAreaField(
        _l("Ce que vous attendez du club"), filters=[text], validators=[Length(max=TEXT_MAX)]
    )
    consent = BooleanField(
        _l(
            "J'accepte que mes données soient traitées pour examiner ma candidature, "
            "dans les conditions ci-dessus."
        ),
        validators=[
            DataRequired(
                _l("Votre accord est nécessaire pour que nous puissions examiner votre candidature.")
            )
        ],
    )
    #: the honeypot: hidden from people, filled by robots
    website = StringField(_l("Ne remplissez pas ce champ"))

    def validate_activity(self, field: Field) -> None:
        if not field.data and not self.naf_code.data:
            raise ValidationError(str(_l("Indiquez votre activité ou votre code NAF.")))

    def values(self) -> dict[str, Any]:
        """The cleaned values for :func:`services.submit`."""
        return {
            name: (self[name].data if name == "in_priority_area" else (self[name].data or "").strip())
            for name in APPLICATION_FIELDS
        } | {"in_priority_area": bool(self.in_priority_area.data), "email": (self.email.data or "").lower()}


class QuestionForm(BaseForm):
    """Ask the applicant for more information."""

    question = TextAreaField(
        _l("Votre question au candidat"),
        filters=[text],
        validators=[DataRequired(REQUIRED), Length(max=TEXT_MAX)],
    )


class AnswerForm(BaseForm):
    """The applicant's answer, through the signed link."""

    answer = TextAreaField(
        _l("Votre réponse"), filters=[text], validators=[DataRequired(REQUIRED), Length(max=TEXT_MAX)]
    )


class AcceptForm(BaseForm):
    """Accept, creating or linking the organisation and the contact."""

    organisation_id = RadioField(_l("Organisation dans l'annuaire"), choices=[], validate_choice=True)
    contact_id = RadioField(_l("Personne dans l'annuaire"), choices=[], validate_choice=True)
    message = TextAreaField(
        _l("Message de bienvenue (facultatif)"), filters=[text], validators=[Length(max=TEXT_MAX)]
    )


class DeclineForm(BaseForm):
    """Decline with a message."""

    message = TextAreaField(
        _l("Raison du refus, adressée au candidat"),
        filters=[text],
        validators=[DataRequired(REQUIRED), Length(max=TEXT_MAX)],
    )


class VisibilityForm(BaseForm):
    """What a member shows in the club's directory."""

    presentation = TextAreaField(
        _l("Présentation de votre entreprise"), filters=[text], validators=[Length(max=TEXT_MAX)]
    )
    activity = StringField(_l("Activité"), filters=[line], validators=[Length(max=200)])
    listed = BooleanField(_l("Figurer dans l'annuaire réservé aux membres du club"))
    public = BooleanField(_l("Figurer aussi dans l'annuaire public des entreprises du club"))
    address_visible = BooleanField(_l("Montrer l'adresse"))
    contact_visible = BooleanField(_l("Montrer le nom de la personne à contacter"))
    email_visible = BooleanField(_l("Montrer son adresse électronique"))
    phone_visible = BooleanField(_l("Montrer son téléphone"))


class DirectoryFilters(BaseForm):
    """Filters of the members' directory (GET)."""

    activity = SelectField(_l("Activité"), choices=[], validate_choice=False)
    size = SelectField(
        _l("Effectif"), choices=options([("", _l("Tous"))]) + choices(SIZE_BANDS), validate_choice=False
    )
    quartier = BooleanField(_l("Seulement les entreprises du quartier prioritaire"))


class ResourceForm(BaseForm):
    """A link for project carriers, with a category."""

    title = StringField(_l("Titre"), filters=[line], validators=[DataRequired(REQUIRED), Length(max=300)])
    url = StringField(
        _l("Adresse du lien"), filters=[line], validators=[DataRequired(REQUIRED), Length(max=1000)]
    )
    category = SelectField(_l("Catégorie"), choices=choices(RESOURCE_CATEGORIES))
    description = TextAreaField(_l("Description"), filters=[text], validators=[Length(max=TEXT_MAX)])
    public = BooleanField(_l("Visible de tous (sinon : membres du club seulement)"), default=True)


class OpinionForm(BaseForm):
    """An opinion, proposal or recommendation of the club."""

    kind = SelectField(_l("Nature"), choices=choices(OPINION_KINDS))
    title = StringField(_l("Titre"), filters=[line], validators=[DataRequired(REQUIRED), Length(max=200)])
    body = TextAreaField(_l("Texte"), filters=[text], validators=[Length(max=20000)])
    meeting_id = SelectField(_l("Adopté lors de la réunion"), choices=[], validate_choice=True)


class OpinionStatusForm(BaseForm):
    """Move an opinion to sent or answered."""

    status = SelectField(_l("Nouvel état"), choices=choices(OPINION_STATUSES))
    answer = TextAreaField(_l("Réponse de la ville"), filters=[text], validators=[Length(max=20000)])


class RenewForm(BaseForm):
    """Record a membership year."""

    year = IntegerField(_l("Année"), validators=[Optional()])
