"""The plugin's fixed vocabularies: publics, themes, statuses, permissions.

Codes are stored; labels are French message ids shown through ``_l`` so they follow the
request's language.
"""

from __future__ import annotations

from babel.support import LazyProxy

from core.i18n import lazy_gettext as _l

#: the space kind of a training unit
SPACE_KIND = "unite_formation.unite"
#: the role of a trainer in a unit's space
TRAINER = "unite_formation.trainer"
#: the kind of the core meetings that are training sessions
SESSION_KIND = "unite_formation.session"

# permissions (granted in the unit's space; admins hold them all)
#: create cycles and edit one's own
TEACH = "unite_formation.teach"
#: edit every cycle of the unit, see every result and the statistics
MANAGE = "unite_formation.manage"

#: who a cycle is for
PUBLICS: dict[str, LazyProxy] = {
    "benevoles": _l("Bénévoles"),
    "mediateurs": _l("Médiateurs et médiatrices sociales"),
    "insertion_emploi": _l("Professionnels de l'insertion et de l'emploi"),
    "parents": _l("Parents"),
    "autre": _l("Autre public"),
}

#: what a cycle is about
THEMES: dict[str, LazyProxy] = {
    "numerique": _l("Numérique"),
    "acces_droits": _l("Accès aux droits"),
    "emploi": _l("Emploi et insertion"),
    "parentalite": _l("Parentalité et éducation"),
    "mediation": _l("Médiation et communication"),
    "vie_associative": _l("Vie associative"),
    "sante": _l("Santé et prévention"),
    "autre": _l("Autre thème"),
}

# cycle.status
DRAFT = "draft"
PUBLISHED = "published"
FULL = "full"
CLOSED = "closed"
CANCELLED = "cancelled"
#: shown, never stored: published, but the registration window has not opened yet
UPCOMING = "upcoming"
CYCLE_STATUSES: dict[str, LazyProxy] = {
    DRAFT: _l("Brouillon"),
    UPCOMING: _l("Inscriptions bientôt ouvertes"),
    PUBLISHED: _l("Inscriptions ouvertes"),
    FULL: _l("Complet"),
    CLOSED: _l("Inscriptions closes"),
    CANCELLED: _l("Annulé"),
}
#: statuses the public catalogue shows
VISIBLE = (PUBLISHED, FULL, CLOSED, CANCELLED)

# registration.status (an offer on the waiting list is a WAITING row with ``offer_expires_at``)
CONFIRMED = "confirmed"
WAITING = "waiting"
WITHDRAWN = "cancelled"
LAPSED = "expired"
REGISTRATION_STATUSES: dict[str, LazyProxy] = {
    CONFIRMED: _l("Inscription confirmée"),
    WAITING: _l("Liste d'attente"),
    WITHDRAWN: _l("Inscription annulée"),
    LAPSED: _l("Proposition de place expirée"),
}

#: default attendance share needed for an attestation
DEFAULT_THRESHOLD = 80
#: default time a person promoted from the waiting list has to confirm
DEFAULT_OFFER_HOURS = 48

#: the satisfaction questions (each answered 1 to 5)
QUESTIONS: dict[str, LazyProxy] = {
    "overall": _l("Dans l'ensemble, êtes-vous satisfait·e de cette formation ?"),
    "content": _l("Le contenu répondait-il à vos attentes ?"),
    "trainer": _l("La formatrice ou le formateur était-il clair et disponible ?"),
    "useful": _l("Allez-vous vous servir de ce que vous avez appris ?"),
    "organisation": _l("L'organisation (lieu, horaires, accueil) vous a-t-elle convenu ?"),
}
SCALE: dict[int, LazyProxy] = {
    1: _l("Pas du tout"),
    2: _l("Peu"),
    3: _l("Moyennement"),
    4: _l("Bien"),
    5: _l("Très bien"),
}
