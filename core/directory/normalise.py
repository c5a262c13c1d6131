"""Text folding used for duplicate detection and the accent-insensitive search documents."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Lower-case, accent-free, punctuation collapsed to single spaces: "L'École" → "l ecole"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    stripped = stripped.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    return _NON_WORD.sub(" ", stripped.casefold()).strip()


def name_key(name: str) -> str:
    """The key two organisation names share when they are probably the same organisation."""
    return fold(name)


def contact_name_key(first_name: str, last_name: str) -> str:
    """The key of a person's name, family name first: the contacts' sort order and duplicate key."""
    return fold(f"{last_name} {first_name}")
