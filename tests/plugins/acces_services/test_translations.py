"""The plugin's English catalogue holds every French message id of its code, templates and
emails, each translated with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[3]
PLUGIN = ROOT / "plugins" / "acces_services"
CATALOGUE = PLUGIN / "translations" / "en" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[#0]*\d*(?:\.\d+)?[sdifr]")


def _extracted() -> set[str]:
    with (ROOT / "core" / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    found = set()
    for _name, _line, message, _comments, _context in extract_from_dir(
        str(PLUGIN), method_map, options_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_of_the_plugin_is_translated_to_english() -> None:
    with CATALOGUE.open("rb") as fh:
        catalogue = read_po(fh, locale="en")
    translated: dict[str, list[str]] = {}
    problems = []
    for message in catalogue:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        if message.fuzzy or not all(strings):
            problems.append(f"untranslated: {ids[0]!r}")
        for index, text in enumerate(strings):
            source = ids[min(index, len(ids) - 1)]
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(text)):
                problems.append(f"placeholders differ: {source!r} -> {text!r}")
        translated[ids[0]] = strings
    problems += [f"missing from the catalogue: {m!r}" for m in sorted(_extracted() - translated.keys())]
    assert problems == []
    # the reminders' emails are in it, in English
    assert translated["Fréquentation à saisir"] == ["Attendance to enter"]
    assert translated["Sans réponse des élus : %(title)s"] == [
        "No answer from the elected officials: %(title)s"
    ]
