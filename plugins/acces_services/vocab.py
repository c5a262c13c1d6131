"""The plugin's fixed vocabularies: categories, publics, accessibility, distance bands, proposals.

Codes are stored; labels are French message ids shown through ``_l`` so they follow the
request's language.
"""

from __future__ import annotations

from babel.support import LazyProxy

from core.i18n import lazy_gettext as _l

#: the space kind of the platform
SPACE_KIND = "acces_services.plateforme"
#: a partner organisation's person who keeps its services and their figures up to date
PROVIDER = "acces_services.provider"

# permissions (granted in the platform space; admins hold them all)
MANAGE = "acces_services.manage"
EDIT_SERVICES = "acces_services.edit_services"
ENTER_FIGURES = "acces_services.enter_figures"
VIEW_INDICATORS = "acces_services.view_indicators"

#: what a service offers (the platform starts with culture, arts, sport and leisure)
CATEGORIES: dict[str, LazyProxy] = {
    "culture": _l("Culture"),
    "arts": _l("Arts et pratiques artistiques"),
    "sport": _l("Sport"),
    "loisirs": _l("Loisirs et vacances"),
    "social": _l("Action sociale"),
    "sante": _l("Santé"),
    "droits": _l("Accès aux droits"),
    "emploi": _l("Emploi et insertion"),
    "education": _l("Éducation et soutien scolaire"),
    "numerique": _l("Numérique"),
}

#: who a service is meant for (several may apply)
PUBLICS: dict[str, LazyProxy] = {
    "petite_enfance": _l("Petite enfance (0-5 ans)"),
    "enfants": _l("Enfants (6-11 ans)"),
    "adolescents": _l("Adolescents (12-17 ans)"),
    "jeunes_adultes": _l("Jeunes adultes (18-25 ans)"),
    "adultes": _l("Adultes"),
    "seniors": _l("Seniors"),
    "familles": _l("Familles"),
}

#: the usual categories of the disability pictograms
ACCESSIBILITY: dict[str, LazyProxy] = {
    "moteur": _l("Handicap moteur"),
    "visuel": _l("Handicap visuel"),
    "auditif": _l("Handicap auditif"),
    "mental": _l("Handicap mental ou cognitif"),
}

#: distance from the priority neighbourhood, nearest first (the order matters for filters)
DISTANCE_BANDS: dict[str, LazyProxy] = {
    "quartier": _l("Dans le quartier ou à ses portes"),
    "proche": _l("À quelques minutes à pied"),
    "commune": _l("Ailleurs dans la commune"),
    "eloigne": _l("Hors de la commune ou éloigné"),
}
BAND_ORDER: tuple[str, ...] = tuple(DISTANCE_BANDS)

#: price filters of the catalogue
PRICE_FILTERS: dict[str, LazyProxy] = {
    "gratuit": _l("Gratuit"),
    "tarif_social": _l("Tarif social (quotient familial)"),
}

# proposal.kind
PROPOSAL_KINDS: dict[str, LazyProxy] = {
    "etude": _l("Étude"),
    "avis": _l("Avis"),
    "proposition": _l("Proposition"),
    "recommandation": _l("Recommandation"),
}

# proposal.status
DRAFT = "draft"
SUBMITTED = "submitted"
ANSWERED = "answered"
IMPLEMENTED = "implemented"
ABANDONED = "abandoned"
PROPOSAL_STATUSES: dict[str, LazyProxy] = {
    DRAFT: _l("Brouillon"),
    SUBMITTED: _l("Transmise aux élus"),
    ANSWERED: _l("Réponse reçue"),
    IMPLEMENTED: _l("Mise en œuvre"),
    ABANDONED: _l("Abandonnée"),
}
#: the status changes a proposal may go through
STATUS_TRANSITIONS: dict[str, tuple[str, ...]] = {
    DRAFT: (SUBMITTED, ABANDONED),
    SUBMITTED: (ANSWERED, ABANDONED, DRAFT),
    ANSWERED: (IMPLEMENTED, ABANDONED),
    IMPLEMENTED: (),
    ABANDONED: (DRAFT,),
}

# settings.period_kind
QUARTER = "quarter"
SEMESTER = "semester"
YEAR = "year"
PERIOD_KINDS: dict[str, LazyProxy] = {
    QUARTER: _l("Trimestre (2026-T1)"),
    SEMESTER: _l("Semestre (2026-S1)"),
    YEAR: _l("Année (2026)"),
}

# figure.source
SOURCE_FORM = "form"
SOURCE_CSV = "csv"
SOURCE_DEMO = "demo"


def label(vocabulary: dict[str, LazyProxy], code: str | None) -> str:
    """The label of ``code`` in the current language (the code itself when unknown)."""
    if not code:
        return ""
    found = vocabulary.get(code)
    return str(found) if found is not None else code
