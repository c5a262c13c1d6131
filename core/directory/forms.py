"""Directory forms: organisations, contacts, affiliations, list filters and the CSV import.

The forms only carry and redisplay what was typed: validation and normalisation live in
:mod:`core.directory.services` (shared with the import and the command line), and the routes
put the services' French messages next to the fields. ``DataRequired`` marks the mandatory
fields for the templates.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wtforms import (
    BooleanField,
    EmailField,
    FileField,
    RadioField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired
from wtforms.widgets import CheckboxInput, ListWidget

from core.directory import vocab
from core.i18n import lazy_gettext as _l
from core.web.forms import REQUIRED, BaseForm


class MultiCheckboxField(SelectMultipleField):  # type: ignore[misc]  # WTForms is untyped
    """A group of checkboxes (rendered as a fieldset by ``macros/forms.html``)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def choices(pairs: Iterable[tuple[str, Any]]) -> list[SelectChoice]:
    """Options of a select or checkbox group from ``(value, label)`` pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def _choices(vocabulary: dict[str, Any]) -> list[SelectChoice]:
    return choices(vocabulary.items())


def _max(n: int) -> dict[str, int]:
    return {"maxlength": n}


class OrganisationForm(BaseForm):
    """Create or edit an organisation."""

    name = StringField(_l("Nom"), [DataRequired(REQUIRED)], render_kw=_max(200))
    kind = SelectField(
        _l("Type"), choices=_choices(vocab.ORGANISATION_KINDS), default="autre", validate_choice=False
    )
    is_signatory = BooleanField(_l("Signataire du Contrat de ville"))
    commitments = TextAreaField(
        _l("Engagements"), description=_l("Pour un signataire : ce à quoi il s'est engagé dans le contrat.")
    )
    pillars = MultiCheckboxField(
        _l("Piliers du contrat"), choices=_choices(vocab.PILLARS), validate_choice=False
    )
    themes = MultiCheckboxField(
        _l("Thèmes transversaux"), choices=_choices(vocab.THEMES), validate_choice=False
    )
    address = StringField(_l("Adresse"), render_kw=_max(300))
    postcode = StringField(_l("Code postal"), render_kw=_max(10))
    city = StringField(_l("Ville"), render_kw=_max(120))
    website = URLField(
        _l("Site web"), description=_l("Commence par https:// ou http://."), render_kw=_max(500)
    )
    email = EmailField(_l("Adresse électronique"), render_kw=_max(254))
    phone = TelField(_l("Téléphone"), description=_l("Par exemple 01 49 41 00 00 ou +33 1 49 41 00 00."))
    description = TextAreaField(_l("Présentation"))
    confirm_duplicate = BooleanField(_l("J'ai vérifié : il s'agit bien d'une autre organisation."))


class ContactForm(BaseForm):
    """Create or edit a contact (and, on creation, their first organisation)."""

    first_name = StringField(_l("Prénom"), render_kw=_max(100))
    last_name = StringField(_l("Nom de famille"), [DataRequired(REQUIRED)], render_kw=_max(100))
    function = StringField(_l("Fonction"), render_kw=_max(200))
    email = EmailField(_l("Adresse électronique"), render_kw=_max(254))
    phone = TelField(_l("Téléphone"), description=_l("Par exemple 06 12 34 56 78 ou +33 6 12 34 56 78."))
    consent_listed = BooleanField(
        _l("La personne accepte d'apparaître dans les listes de l'annuaire"),
        description=_l("Sans son accord, seuls les administrateurs et les animateurs la voient."),
    )
    organisation = SelectField(_l("Organisation"), choices=[], validate_choice=False)
    role = StringField(_l("Rôle dans cette organisation"), render_kw=_max(200))
    confirm_duplicate = BooleanField(_l("J'ai vérifié : il s'agit bien d'une autre personne."))


class AffiliationForm(BaseForm):
    """Tie a contact to an organisation with a role."""

    organisation = SelectField(
        _l("Organisation"), [DataRequired(REQUIRED)], choices=[], validate_choice=False
    )
    role = StringField(_l("Rôle dans cette organisation"), render_kw=_max(200))
    is_primary = BooleanField(_l("Organisation principale de la personne"))


class OrganisationFilterForm(BaseForm):
    """The search box and filters of the organisations list (GET, French query names)."""

    q = SearchField(
        _l("Rechercher"), description=_l("Nom, ville, mot de la présentation… (accents facultatifs)")
    )
    type = SelectField(_l("Type"), choices=[], validate_choice=False)
    pilier = SelectField(_l("Pilier"), choices=[], validate_choice=False)
    theme = SelectField(_l("Thème transversal"), choices=[], validate_choice=False)
    signataire = SelectField(
        _l("Signataire"),
        choices=choices(
            [("", _l("Indifférent")), ("oui", _l("Signataires")), ("non", _l("Non signataires"))]
        ),
        validate_choice=False,
    )
    espace = SelectField(_l("Espace"), choices=[], validate_choice=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        every = choices([("", _l("Tous"))])
        self.type.choices = every + _choices(vocab.ORGANISATION_KINDS)
        self.pilier.choices = every + _choices(vocab.PILLARS)
        self.theme.choices = every + _choices(vocab.THEMES)


class ContactFilterForm(BaseForm):
    """The search box of the contacts list."""

    q = SearchField(_l("Rechercher"), description=_l("Nom, fonction, organisation… (accents facultatifs)"))


class ImportForm(BaseForm):
    """Upload a CSV file of organisations or contacts."""

    kind = RadioField(
        _l("Contenu du fichier"),
        choices=choices(
            [("organisations", _l("Des organisations")), ("contacts", _l("Des contacts (personnes)"))]
        ),
        default="organisations",
        validate_choice=False,
    )
    file = FileField(
        _l("Fichier CSV"), description=_l("5 Mo au plus ; la première ligne donne les noms des colonnes.")
    )
    allow_duplicates = BooleanField(
        _l("Créer aussi les doublons probables"),
        description=_l(
            "Ils sont créés comme de nouvelles fiches, jamais fusionnés avec les fiches existantes."
        ),
    )
