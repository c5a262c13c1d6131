"""The fixed vocabularies of the directory: organisation kinds, pillars and cross-cutting themes."""

from __future__ import annotations

from collections.abc import Iterable

from babel.support import LazyProxy

from core.i18n import lazy_gettext as _l

ORGANISATION_KINDS: dict[str, LazyProxy] = {
    "etat": _l("État / service de l'État"),
    "collectivite": _l("Collectivité"),
    "operateur_public": _l("Opérateur public"),
    "bailleur_social": _l("Bailleur social"),
    "association": _l("Association"),
    "entreprise": _l("Entreprise"),
    "service_municipal": _l("Service municipal"),
    "instance_citoyenne": _l("Instance citoyenne"),
    "autre": _l("Autre"),
}

#: the three pillars of the contract
PILLARS: dict[str, LazyProxy] = {
    "cohesion_sociale": _l("Cohésion sociale"),
    "emploi_economie": _l("Emploi et développement économique"),
    "habitat_cadre_de_vie": _l("Habitat et cadre de vie"),
}

#: the three cross-cutting themes
THEMES: dict[str, LazyProxy] = {
    "discriminations": _l("Lutte contre les discriminations"),
    "egalite_femmes_hommes": _l("Égalité entre les femmes et les hommes"),
    "jeunesse": _l("Jeunesse"),
}


def pillar_tag(code: str) -> str:
    """The tag stored for a pillar."""
    return f"pillar:{code}"


def theme_tag(code: str) -> str:
    """The tag stored for a cross-cutting theme."""
    return f"theme:{code}"


def codes(tags: Iterable[str], family: str) -> list[str]:
    """The known codes of one family (``"pillar"`` or ``"theme"``) among stored tags, in the
    vocabulary's order (the order of the contract, whatever the database returns)."""
    vocabulary = PILLARS if family == "pillar" else THEMES
    present = set(tags)
    return [code for code in vocabulary if f"{family}:{code}" in present]


def lookup(vocabulary: dict[str, LazyProxy], value: str) -> str | None:
    """The code that ``value`` names in ``vocabulary``: the code itself or its French label,
    ignoring case, accents and punctuation ("Bailleur social", "bailleur_social", "Collectivité").

    A label with alternatives ("État / service de l'État") also answers to each of them.
    """
    from core import i18n
    from core.directory.normalise import fold

    wanted = fold(value)
    if not wanted:
        return None
    for code, label in vocabulary.items():
        with i18n.language("fr"):
            french = str(label)
        names = {fold(code), fold(french), *(fold(part) for part in french.split("/"))}
        if wanted in names:
            return code
    return None
