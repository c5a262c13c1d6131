"""The translation catalogues: one for the core, one per plugin; extraction, update and checks.

Each catalogue lives next to the code it translates: ``core/translations`` for the core and
``plugins/<name>/translations`` for a plugin, each with ``en/LC_MESSAGES/messages.po``. The
message ids are the French texts; the catalogues give the English. ``make translations`` runs
``python -m core.catalogues update`` (extract each source tree on its own, then update its
catalogue), ``python -m core.catalogues todo`` lists what is still to translate, and the test
suite uses :func:`problems` so that an untranslated, fuzzy, missing or badly placeheld message
fails the build.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

CORE_DIR = Path(__file__).resolve().parent
PLUGINS_DIR = CORE_DIR.parent / "plugins"
BABEL_CFG = CORE_DIR / "babel.cfg"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
TARGET_LANGUAGES: tuple[str, ...] = ("en",)
DOMAIN = "messages"

# %(name)s, %s, %d… (not the literal %%), and {name} / {0} as str.format placeholders
_PERCENT = re.compile(r"%(?:\([^)]+\))?[#0]*\d*(?:\.\d+)?[sdifr]")
_BRACES = re.compile(r"(?<!\{)\{[A-Za-z0-9_.]*\}(?!\})")


@dataclass(frozen=True)
class Source:
    """One translated source tree: its name (``core`` or a plugin's), its code and catalogues."""

    name: str
    code_dir: Path

    @property
    def translations_dir(self) -> Path:
        """The ``translations`` folder next to the code."""
        return self.code_dir / "translations"

    def po_path(self, language: str) -> Path:
        """The ``messages.po`` of ``language``."""
        return self.translations_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def core_source() -> Source:
    """The core's catalogue (core strings only)."""
    return Source("core", CORE_DIR)


def plugin_sources(plugins_dir: Path = PLUGINS_DIR, *, with_catalogue_only: bool = False) -> list[Source]:
    """The built-in plugins' packages (optionally only those already shipping a catalogue)."""
    sources = [
        Source(path.name, path)
        for path in sorted(plugins_dir.iterdir())
        if (path / "__init__.py").is_file() and not path.name.startswith(("_", "."))
    ]
    if with_catalogue_only:
        sources = [s for s in sources if s.translations_dir.is_dir()]
    return sources


def extract(code_dir: Path) -> Catalog:
    """Extract the French message ids of one source tree (code and templates), as a template."""
    with BABEL_CFG.open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)  # type: ignore[no-untyped-call]
    catalog = Catalog(domain=DOMAIN, charset="utf-8")
    for _filename, _lineno, message, comments, context in extract_from_dir(
        str(code_dir), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    ):
        catalog.add(message, None, [], auto_comments=comments, context=context)
    return catalog


def read_catalogue(path: Path, language: str) -> Catalog:
    """Read a ``.po`` file."""
    with path.open("rb") as fh:
        return read_po(fh, locale=language)


def update(source: Source, language: str) -> tuple[int, int]:
    """Bring ``source``'s catalogue in line with its code: add new ids, drop vanished ones.

    Returns (messages in the catalogue, messages still untranslated). Existing translations are
    kept; no fuzzy matching, so a changed French text is translated anew rather than guessed.
    """
    template = extract(source.code_dir)
    path = source.po_path(language)
    if path.exists():
        catalog = read_catalogue(path, language)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog = Catalog(locale=language, domain=DOMAIN, project="Réseau", charset="utf-8", fuzzy=False)
        catalog.revision_date = catalog.creation_date
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    _stamp_header(catalog, source, language)
    with path.open("wb") as fh:
        write_po(fh, catalog, omit_header=False, sort_output=True, no_location=True, width=100)
    messages = [m for m in catalog if m.id]
    return len(messages), sum(1 for m in messages if not is_translated(m))


def _stamp_header(catalog: Catalog, source: Source, language: str) -> None:
    """Say in the header whose catalogue this is (Babel's defaults name no project)."""
    what = "the core" if source.name == "core" else f"the {source.name} plugin"
    catalog.project = "Réseau"
    catalog.version = ""
    catalog.copyright_holder = "Réseau contributors"
    catalog.msgid_bugs_address = ""
    catalog.last_translator = "Réseau contributors"
    catalog.language_team = f"{language} <{language}@reseau.invalid>"
    catalog.header_comment = (
        f"# {_language_name(language)} translations of {what} of Réseau (message ids are French).\n"
        "# Update with `make translations`; tests/core/test_translations.py checks completeness."
    )


def _language_name(language: str) -> str:
    """The English name of ``language`` (``English``)."""
    from babel import Locale

    return Locale.parse(language).get_display_name("en") or language


def is_translated(message: Message) -> bool:
    """Every form has a text and the translation is not marked fuzzy."""
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return not message.fuzzy and all(strings)


def placeholders(text: str) -> list[str]:
    """The substitution markers of ``text`` (sorted), whatever their order in the sentence."""
    return sorted(_PERCENT.findall(text) + _BRACES.findall(text))


def placeholder_mismatches(message: Message) -> list[str]:
    """Forms whose translation does not use exactly the French placeholders."""
    ids = list(message.id) if isinstance(message.id, (list, tuple)) else [message.id]
    strings = list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]
    wrong = []
    for index, text in enumerate(strings):
        if not text:
            continue
        source = ids[min(index, len(ids) - 1)]
        if placeholders(source) != placeholders(text):
            wrong.append(f"{source!r} -> {text!r}")
    return wrong


def problems(source: Source, language: str, template: Catalog | None = None) -> Iterator[str]:
    """Everything wrong with one catalogue, in French-id order (empty when complete).

    ``template`` is what :func:`extract` gives for the source (extracted here when omitted).
    """
    path = source.po_path(language)
    if not path.exists():
        yield f"{source.name}: no catalogue at {path}"
        return
    catalog = read_catalogue(path, language)
    for message in catalog:
        if not message.id:
            continue
        if not is_translated(message):
            yield f"{source.name}: untranslated or fuzzy: {message.id!r}"
        for wrong in placeholder_mismatches(message):
            yield f"{source.name}: placeholders differ: {wrong}"
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
    for message in template if template is not None else extract(source.code_dir):
        key = message.id if isinstance(message.id, str) else message.id[0]
        if key and key not in known:
            yield f"{source.name}: extracted but missing from the catalogue: {key!r}"


def untranslated(source: Source, language: str) -> list[Message]:
    """The messages of ``source``'s catalogue that still need a translation."""
    return [m for m in read_catalogue(source.po_path(language), language) if m.id and not is_translated(m)]


def _sources(names: Iterable[str], *, default_with_catalogue_only: bool) -> list[Source]:
    """The named catalogues; by default all of them (or those that exist, to report on them)."""
    everything = {s.name: s for s in [core_source(), *plugin_sources()]}
    existing = [core_source().name] + [s.name for s in plugin_sources(with_catalogue_only=True)]
    chosen = list(names) or (existing if default_with_catalogue_only else list(everything))
    unknown = [n for n in chosen if n not in everything]
    if unknown:
        raise SystemExit(f"unknown catalogue(s): {', '.join(unknown)}")
    return [everything[n] for n in chosen]


def main(argv: list[str] | None = None) -> int:
    """``update [names…]`` extracts and updates each catalogue; ``todo``/``check`` report."""
    args = list(sys.argv[1:] if argv is None else argv)
    command, names = (args[0], args[1:]) if args else ("check", [])
    status = 0
    for source in _sources(names, default_with_catalogue_only=command != "update"):
        for language in TARGET_LANGUAGES:
            if command == "update":
                total, missing = update(source, language)
                print(f"{source.po_path(language)}: {total} messages, {missing} untranslated")
            elif command == "todo":
                for message in untranslated(source, language):
                    print(f"{source.name}\t{message.id!r}")
            elif command == "check":
                for problem in problems(source, language):
                    print(problem)
                    status = 1
            else:
                raise SystemExit(f"unknown command {command!r} (update, todo or check)")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
