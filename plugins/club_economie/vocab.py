"""The club's fixed vocabularies: statuses, legal forms, size bands, meeting kinds, categories.

Codes are stored; labels are French message ids shown through ``_l`` so they follow the
request's language.
"""

from __future__ import annotations

from datetime import timedelta

from babel.support import LazyProxy

from core.i18n import lazy_gettext as _l

#: the space kind of the club, and the slug of the demo's club space
SPACE_KIND = "club_economie.club"
SLUG = "club-economie"

# permissions (granted in the club space; admins hold them all)
REVIEW = "club_economie.review"
MANAGE = "club_economie.manage"
VIEW_MEMBERS = "club_economie.view_members"

# application statuses
NEW = "new"
INFO_REQUESTED = "info_requested"
ACCEPTED = "accepted"
DECLINED = "declined"
STATUSES: dict[str, LazyProxy] = {
    NEW: _l("Nouvelle"),
    INFO_REQUESTED: _l("Informations demandées"),
    ACCEPTED: _l("Acceptée"),
    DECLINED: _l("Refusée"),
}
#: statuses of an application still waiting for a decision
PENDING = (NEW, INFO_REQUESTED)

LEGAL_FORMS: dict[str, LazyProxy] = {
    "ei": _l("Entreprise individuelle / micro-entreprise"),
    "eurl": _l("EURL"),
    "sarl": _l("SARL"),
    "sas": _l("SAS / SASU"),
    "sa": _l("SA"),
    "scop": _l("SCOP / SCIC"),
    "association": _l("Association"),
    "public": _l("Établissement public"),
    "projet": _l("Projet pas encore immatriculé"),
    "autre": _l("Autre"),
}

SIZE_BANDS: dict[str, LazyProxy] = {
    "0": _l("Pas de salarié"),
    "1-9": _l("1 à 9 salariés"),
    "10-49": _l("10 à 49 salariés"),
    "50-249": _l("50 à 249 salariés"),
    "250+": _l("250 salariés et plus"),
}

# kinds of club meetings in the shared calendar
PLENARY = "club_economie.pleniere"
BREAKFAST = "club_economie.petit_dejeuner"
VISIT = "club_economie.visite"
MEETING_KINDS: dict[str, LazyProxy] = {
    PLENARY: _l("Plénière du club"),
    BREAKFAST: _l("Petit-déjeuner du club"),
    VISIT: _l("Visite d'entreprise"),
}

# categories of the club's resources (core resources, category ``club_economie.<code>``)
RESOURCE_PREFIX = "club_economie."
RESOURCE_CATEGORIES: dict[str, LazyProxy] = {
    "club_economie.dispositif": _l("Dispositifs d'accompagnement"),
    "club_economie.financement": _l("Financements et aides"),
    "club_economie.guide": _l("Guides pratiques"),
    "club_economie.contact": _l("Contacts utiles (Pôle Emploi, CCI, Mission Locale…)"),
}

# opinions and proposals of the club to the city
OPINION_KINDS: dict[str, LazyProxy] = {
    "avis": _l("Avis"),
    "proposition": _l("Proposition"),
    "recommandation": _l("Recommandation"),
}
DRAFT = "draft"
SENT = "sent"
ANSWERED = "answered"
OPINION_STATUSES: dict[str, LazyProxy] = {
    DRAFT: _l("Brouillon"),
    SENT: _l("Transmis à la ville"),
    ANSWERED: _l("Réponse reçue"),
}

#: how long a declined application is kept (with its reason) before it is anonymised
DECLINED_RETENTION = timedelta(days=365)
#: how long the "more information" link works
INFO_LINK_MAX_AGE = timedelta(days=60)
#: stored applications per client address within :data:`RATE_WINDOW`
RATE_LIMIT = 3
RATE_WINDOW = timedelta(hours=1)


def label(vocabulary: dict[str, LazyProxy], code: str | None) -> str:
    """The label of ``code`` in ``vocabulary`` (the code itself when unknown)."""
    if code is None:
        return ""
    found = vocabulary.get(code)
    return str(found) if found is not None else code
