"""Every column whose name suggests personal data is declared ``info=PERSONAL`` (or explicitly not).

The walk covers the core and every built-in plugin, so a plugin adding ``applicant_email`` or
``birth_date`` without the marker fails here, before any export or erasure could miss it.
"""

from __future__ import annotations

import importlib
import re

import pytest
import sqlalchemy as sa

import core.models  # noqa: F401 - every core table
from core.config import BUILTIN_PLUGINS
from core.db import Base
from core.privacy.schema import links, personal_columns

#: words that, as a part of a column name (split on "_"), suggest data about a person
PERSONAL_WORDS = frozenset(
    {
        "name", "names", "firstname", "lastname", "surname", "prenom", "nom",
        "email", "emails", "mail", "courriel",
        "phone", "telephone", "tel", "mobile", "portable",
        "address", "adresse", "street", "rue",
        "ip", "birth", "birthday", "birthdate", "naissance", "age",
        "comment", "comments", "commentaire", "motivation", "message", "answer", "answers",
        "reponse", "bio", "biography", "about", "note", "notes", "remarks",
        "actor", "attendee", "applicant", "signature", "nir", "iban", "gender", "genre",
        "nationality", "handicap", "health", "sante",
    }
)

#: columns whose name matches but that hold no personal data, each with the reason
NOT_PERSONAL = {
    "organisations.name": "an organisation's name",
    "organisations.name_key": "the normalised name of an organisation",
    "organisations.address": "an organisation's postal address",
    "organisations.email": "an organisation's general address (a person's goes on the contact)",
    "organisations.phone": "an organisation's switchboard",
    "spaces.name": "the name of a space (platform, group)",
    "reminder_rules.name": "the name of a reminder rule",
    "outbox.message_id": "the Message-ID header derived from the outbox key",
    "resources.stored_name": "the random name a document is stored under",
    "acces_services_proposals.answer": "an institution's official answer to a platform's proposal",
    "acces_services_services.name": "the name of a public service or facility",
    "acces_services_services.address": "the address of a public facility",
    "acces_services_services.age_min": "the youngest age a service accepts",
    "acces_services_services.age_max": "the oldest age a service accepts",
    "acces_services_settings.neighbourhood_name": "the name of the priority neighbourhood",
    "club_economie_opinions.answer": "the city's official answer to an opinion of the club",
}


def _load_plugin_models() -> None:
    for name in BUILTIN_PLUGINS:
        try:
            importlib.import_module(f"plugins.{name}.hooks")
        except ModuleNotFoundError:
            continue


def _suggests_personal(column: sa.Column[object]) -> bool:
    # a flag (show_email, has_phone) says nothing about who a person is
    if isinstance(column.type, sa.Boolean):
        return False
    words = set(re.split(r"_+", column.name.lower()))
    return bool(words & PERSONAL_WORDS)


def all_tables() -> list[sa.Table]:
    _load_plugin_models()
    return list(Base.metadata.sorted_tables)


def test_every_column_that_looks_personal_is_declared() -> None:
    undeclared = []
    for table in all_tables():
        for column in table.columns:
            key = f"{table.name}.{column.name}"
            declared = "personal" in column.info  # PERSONAL or NOT_PERSONAL (core.db)
            if _suggests_personal(column) and not declared and key not in NOT_PERSONAL:
                undeclared.append(key)
    assert not undeclared, (
        "columns that look personal but are not declared: mark them info=PERSONAL, or info="
        f"NOT_PERSONAL / the allow-list with a reason: {undeclared}"
    )


def test_allow_list_names_real_columns_that_are_not_marked_personal() -> None:
    columns = {f"{t.name}.{c.name}": c for t in all_tables() for c in t.columns}
    for key in NOT_PERSONAL:
        table = key.split(".")[0]
        if table.split("_")[0] in {p.split("_")[0] for p in BUILTIN_PLUGINS} and key not in columns:
            continue  # a plugin not present in this checkout
        assert key in columns, f"stale allow-list entry {key}"
        assert not columns[key].info.get("personal"), f"{key} is both allow-listed and PERSONAL"


@pytest.mark.parametrize("table_name", ["contacts", "users", "invitations", "outbox", "audit_log"])
def test_core_tables_holding_people_are_reachable_for_erasure(table_name: str) -> None:
    table = Base.metadata.tables[table_name]
    assert personal_columns(table)
    assert table_name in ("contacts", "users") or links(table).any


def test_tables_with_personal_columns_link_to_a_person() -> None:
    """Personal columns in a table with no way to find the person would escape export/erasure,
    except where the whole table is matched by content (login attempts, keyed by address)."""
    content_matched = {"login_attempts", "contacts", "users"}
    orphans = [
        t.name
        for t in all_tables()
        if personal_columns(t) and not links(t).any and t.name not in content_matched
    ]
    assert not orphans, f"tables with personal columns but no contact_id/user_id/email link: {orphans}"
