"""The English catalogues: complete, placeholders intact, in step with the code; loaded per plugin.

The core's catalogue must always be complete. A plugin's catalogue is checked once the plugin
ships one (``plugins/<name>/translations``), so a plugin being written has time to get there.
"""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from core import catalogues, i18n
from core.catalogues import Source, core_source, plugin_sources, problems
from tests.conftest import MakeApp
from tests.core.plugins.support import plugin_manager_with

PLUGIN_CATALOGUES = plugin_sources(with_catalogue_only=True)


@pytest.fixture(scope="module")
def core_template() -> Catalog:
    """The core's French texts as extraction finds them today (extracted once: it takes seconds)."""
    return catalogues.extract(catalogues.CORE_DIR)


def test_the_core_catalogue_is_complete(core_template: Catalog) -> None:
    found = list(problems(core_source(), "en", core_template))
    assert found == [], "\n".join(found[:50]) + f"\n({len(found)} problems; `make translations`)"


@pytest.mark.parametrize("source", PLUGIN_CATALOGUES, ids=[s.name for s in PLUGIN_CATALOGUES])
def test_each_plugin_catalogue_is_complete(source: Source) -> None:
    found = list(problems(source, "en"))
    assert found == [], "\n".join(found[:50]) + f"\n({len(found)} problems)"


def test_the_core_catalogue_holds_core_strings_only(core_template: Catalog) -> None:
    """Plugin strings go to the plugin's own catalogue, not the core's; no stale entries."""
    extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in core_template if m.id}
    catalogue = catalogues.read_catalogue(core_source().po_path("en"), "en")
    in_catalogue = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.id}
    assert in_catalogue == extracted


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


Entries = dict[str | tuple[str, str], str | tuple[str, str]]


def _catalogue(path: Path, entries: Entries, fuzzy: set[str]) -> None:
    catalog = Catalog(locale="en", domain="messages")
    for msgid, msgstr in entries.items():
        catalog.add(msgid, msgstr, flags=("fuzzy",) if msgid in fuzzy else ())
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog)


@pytest.fixture
def small_plugin(tmp_path: Path) -> Source:
    """A plugin folder with strings in code and in a template, and an imperfect catalogue."""
    code = tmp_path / "petit"
    _write(
        code / "views.py",
        """
        from core.i18n import gettext as _, lazy_gettext as _l, ngettext

        TITLE = _l("Titre du module")
        def page(n):
            return [_("Bonjour %(name)s", name="x"), _("Flou"), _("Vide"), _("Nouveau texte"),
                    ngettext("%(num)d réunion", "%(num)d réunions", n)]
        """,
    )
    _write(code / "templates" / "petit" / "page.html", '<p>{{ _("Dans un gabarit") }}</p>\n')
    _catalogue(
        Source("petit", code).po_path("en"),
        {
            "Titre du module": "Module title",
            "Bonjour %(name)s": "Hello %(nom)s",
            "Flou": "Blurred",
            "Vide": "",
            ("%(num)d réunion", "%(num)d réunions"): ("%(num)d meeting", "meetings"),
            "Dans un gabarit": "In a template",
            "Texte disparu": "Vanished text",
        },
        fuzzy={"Flou"},
    )
    return Source("petit", code)


def test_the_check_reports_each_kind_of_problem(small_plugin: Source) -> None:
    found = "\n".join(problems(small_plugin, "en"))
    assert "untranslated or fuzzy: 'Flou'" in found
    assert "untranslated or fuzzy: 'Vide'" in found
    assert "placeholders differ: 'Bonjour %(name)s' -> 'Hello %(nom)s'" in found
    assert "placeholders differ: '%(num)d réunions' -> 'meetings'" in found
    assert "extracted but missing from the catalogue: 'Nouveau texte'" in found
    assert "Module title" not in found and "In a template" not in found
    assert len(found.splitlines()) == 5


def test_update_adds_new_texts_drops_vanished_ones_and_keeps_translations(small_plugin: Source) -> None:
    total, untranslated = catalogues.update(small_plugin, "en")
    catalog = catalogues.read_catalogue(small_plugin.po_path("en"), "en")
    assert catalog.get("Nouveau texte") is not None and catalog.get("Texte disparu") is None
    assert catalog["Titre du module"].string == "Module title"
    assert catalog["Dans un gabarit"].string == "In a template"
    assert (total, untranslated) == (7, 3)  # Nouveau texte, Vide, and the fuzzy Flou
    assert [m.id for m in catalogues.untranslated(small_plugin, "en")] == ["Flou", "Nouveau texte", "Vide"]


def test_a_missing_catalogue_is_reported(tmp_path: Path) -> None:
    (tmp_path / "rien").mkdir()
    assert [p for p in problems(Source("rien", tmp_path / "rien"), "en") if "no catalogue" in p]


def test_placeholders_are_compared_whatever_their_order() -> None:
    assert catalogues.placeholders("%(b)s de %(a)s, 50 % des {x}") == ["%(a)s", "%(b)s", "{x}"]


# -- loading: the enabled plugins' catalogues, the core's texts unchanged -----------------------

PLUGIN_PO = """
msgid ""
msgstr ""
"Language: en\\n"
"Content-Type: text/plain; charset=utf-8\\n"

msgid "Texte du module d'essai"
msgstr "Test module text"

msgid "Module d'essai"
msgstr "Test module"

msgid "Annuaire"
msgstr "Phone book"

msgid "%(num)d fiche"
msgid_plural "%(num)d fiches"
msgstr[0] ""
msgstr[1] ""
"""


@pytest.fixture
def plugin_on_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """A plugin package with its own English catalogue (the layout a real plugin has)."""
    package = tmp_path / "pkgs" / "reseau_essai_i18n"
    _write(
        package / "__init__.py",
        """
        \"\"\"A plugin with a catalogue.\"\"\"
        from core.i18n import lazy_gettext as _l

        LABEL = _l("Module d'essai")
        DESCRIPTION = _l("Texte du module d'essai")
        """,
    )
    _write(package / "hooks.py", '"""No hooks: only its catalogue matters here."""\n')
    _write(package / "translations" / "en" / "LC_MESSAGES" / "messages.po", PLUGIN_PO)
    monkeypatch.syspath_prepend(str(tmp_path / "pkgs"))
    yield importlib.import_module("reseau_essai_i18n.hooks")
    for name in ("reseau_essai_i18n.hooks", "reseau_essai_i18n"):
        sys.modules.pop(name, None)


def test_the_app_loads_the_catalogues_of_its_enabled_plugins(
    make_app: MakeApp, plugin_on_disk: object
) -> None:
    app = make_app(plugin_manager=plugin_manager_with((), essai_i18n=plugin_on_disk))
    with i18n.language("en"):
        [info] = app.state.reseau.hooks.plugin_info()
        assert (info.label, info.description) == ("Test module", "Test module text")
        assert i18n.gettext("Texte du module d'essai") == "Test module text"
        # a plugin may not change a core text, and an untranslated plural falls back to French
        assert i18n.gettext("Annuaire") == "Directory"
        assert i18n.ngettext("%(num)d fiche", "%(num)d fiches", 2) == "2 fiches"
    [info] = app.state.reseau.hooks.plugin_info()  # French outside an English page
    assert (info.label, info.description) == ("Module d'essai", "Texte du module d'essai")
    make_app(plugins=[])
    with i18n.language("en"):
        assert i18n.gettext("Texte du module d'essai") == "Texte du module d'essai"
        assert i18n.gettext("Annuaire") == "Directory"


def test_the_command_line_lists_what_is_left(capsys: pytest.CaptureFixture[str]) -> None:
    assert catalogues.main(["todo", "core"]) == 0
    assert capsys.readouterr().out == ""  # the core has nothing left to translate
    with pytest.raises(SystemExit, match="unknown catalogue"):
        catalogues.main(["check", "pas_un_module"])
    with pytest.raises(SystemExit, match="unknown command"):
        catalogues.main(["traduire", "core"])
