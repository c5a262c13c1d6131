"""CSV import as French spreadsheets write it: separators, encodings, bad lines, duplicates,
all-or-nothing, size limits; over HTTP and through the service."""

from __future__ import annotations

import codecs

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from core.directory import csvio
from core.directory.models import Affiliation, Contact, Organisation
from tests.core.directory.conftest import People, audit_actions, count, fresh, make_org
from tests.helpers import csrf_token, login

ORGS = (
    "Nom;Type;Signataire;Piliers;Thèmes;Ville;Courriel;Téléphone;Site web;Description\n"
    "Éducation Nationale;État;oui;Cohésion sociale;Jeunesse;Créteil;contact@ac-creteil.fr;01 49 41 00 00;"
    'www.ac-creteil.fr;"Réseau d\'éducation prioritaire; réussite éducative"\n'
    "Les Clés de l'Avenir;association;non;Emploi et développement économique | Cohésion sociale;;"
    "Villiers-sur-Marne;;;;\n"
)


def run(db: Session, text: str | bytes, **options: object) -> csvio.ImportReport:
    data = text.encode("utf-8") if isinstance(text, str) else text
    report = csvio.import_csv(db, None, data, **options)  # type: ignore[arg-type]
    db.commit()
    return report


def messages(report: csvio.ImportReport) -> list[str]:
    return [str(p) for p in report.errors]


# ------------------------------------------------------------------------------ formats


@pytest.mark.parametrize(
    ("encode", "encoding"),
    [
        (lambda t: t.encode("utf-8"), "UTF-8"),
        (lambda t: codecs.BOM_UTF8 + t.encode("utf-8"), "UTF-8 (BOM)"),
        (lambda t: t.encode("cp1252"), "Windows-1252"),
        (lambda t: t.encode("utf-16"), "UTF-16"),
    ],
)
@pytest.mark.parametrize("delimiter", [";", ","])
def test_french_spreadsheet_files_are_read(db: Session, encode, encoding: str, delimiter: str) -> None:  # type: ignore[no-untyped-def]
    text = (
        ORGS
        if delimiter == ";"
        else ORGS.replace(";", ",").replace("prioritaire, réussite", "prioritaire; réussite")
    )
    report = run(db, encode(text.replace("\n", "\r\n")), dry_run=False)
    assert report.errors == [] and report.duplicates == []
    assert (report.encoding, report.delimiter, report.rows, report.created) == (encoding, delimiter, 2, 2)
    org = db.scalars(select(Organisation).where(Organisation.name == "Éducation Nationale")).one()
    assert org.kind == "etat" and org.is_signatory and org.city == "Créteil" and org.phone == "+33149410000"
    assert org.website == "https://www.ac-creteil.fr"
    assert org.description == "Réseau d'éducation prioritaire; réussite éducative"
    assert sorted(t.tag for t in org.tags) == ["pillar:cohesion_sociale", "theme:jeunesse"]
    cles = db.scalars(select(Organisation).where(Organisation.name == "Les Clés de l'Avenir")).one()
    assert sorted(t.tag for t in cles.tags) == ["pillar:cohesion_sociale", "pillar:emploi_economie"]


def test_headers_ignore_case_accents_order_and_unknown_columns(db: Session) -> None:
    text = (
        "VILLE;Remarque interne;NOM DE L'ORGANISATION;e-mail\n"
        "Paris;à voir;Paris Habitat;CONTACT@PARISHABITAT.FR\n"
    )
    report = run(db, text, dry_run=False)
    assert report.errors == []
    assert report.warnings == ["colonne(s) ignorée(s) : « Remarque interne »."]
    org = db.scalars(select(Organisation)).one()
    assert (org.name, org.city, org.email) == ("Paris Habitat", "Paris", "contact@parishabitat.fr")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Le fichier est vide."),
        (b"\xef\xbb\xbf \r\n", "Le fichier est vide."),
        (b"Nom;Type\r\n", "aucune ligne de données"),
        (b"Nom;Type\r\n;;\r\n\r\n", "aucune ligne de données"),
        (b"Ville;Type\nParis;autre\n", "Colonne obligatoire absente : Nom."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(200, 256)), "n'est pas un fichier texte CSV"),
        (bytes(range(128, 256)) * 20, "Encodage du fichier non reconnu"),
        (codecs.BOM_UTF8 + "Nom\nÉcole".encode("cp1252"), "encodage qu'il ne respecte pas"),
        (b'Nom;Ville\n"Sans fin;Paris\n', "fichier CSV mal formé"),
    ],
)
def test_unreadable_files_are_refused_in_french(db: Session, data: bytes, message: str) -> None:
    report = run(db, data, dry_run=False)
    assert report.blocked
    assert any(message in m for m in messages(report)), messages(report)
    assert count(db, Organisation) == 0


def test_an_overlong_cell_breaking_the_csv_reader_is_reported(db: Session) -> None:
    text = 'Nom;Description\nA;"' + "x" * 200_000 + '"\n'
    report = run(db, text)
    assert any("fichier CSV mal formé" in m for m in messages(report))


# ------------------------------------------------------------------------------ bad lines


def test_dry_run_reports_every_bad_line_with_its_number(db: Session) -> None:
    text = (
        "Nom;Type;Courriel;Téléphone;Site web;Signataire\n"  # line 1
        "Bonne organisation;association;;;;\n"  # 2
        ";association;;;;\n"  # 3: no name
        "Deux;ministère;;;;\n"  # 4: unknown kind
        "Trois;;pas-une-adresse;;;\n"  # 5: bad email
        "Quatre;;;123;;\n"  # 6: bad phone
        "Cinq;;;;javascript:alert(1);\n"  # 7: refused URL
        f"{'N' * 201};;;;;\n"  # 8: overlong
        '"Sur deux\nlignes";;;;;peut-être\n'  # 9-10: bad yes/no
        "Six;;;;;;;en trop\n"  # 11: extra cells
        "Sept;;;;;\n"  # 12: good
    )
    report = run(db, text, dry_run=True)
    assert messages(report) == [
        "Ligne 3, colonne « Nom » : Le nom est obligatoire.",
        "Ligne 4, colonne « Type » : Type d'organisation inconnu : « ministère ».",
        "Ligne 5, colonne « Courriel » : Adresse électronique invalide.",
        "Ligne 6, colonne « Téléphone » : Ce numéro de téléphone n'existe pas.",
        "Ligne 7, colonne « Site web » : Adresse web invalide : elle doit commencer par http:// ou https://.",
        "Ligne 8, colonne « Nom » : Ce texte est trop long : 200 caractères au plus.",
        "Ligne 9, colonne « Signataire » : Répondez par « oui » ou « non ».",
        "Ligne 11 : 8 valeurs pour 6 colonnes (un séparateur de trop, ou un texte à mettre entre "
        "guillemets ?).",
    ]
    assert report.rows == 10 and report.created == 0
    assert "8 erreur(s)" in report.summary()
    assert count(db, Organisation) == 0


def test_a_real_import_with_one_bad_line_writes_nothing(db: Session) -> None:
    text = (
        "Nom;Courriel\n" + "".join(f"Association {i};a{i}@example.org\n" for i in range(50)) + "Mauvaise;@\n"
    )
    report = run(db, text, dry_run=False)
    assert messages(report) == ["Ligne 52, colonne « Courriel » : Adresse électronique invalide."]
    assert report.created == 0 and "rien n'a été importé" in report.summary()
    assert count(db, Organisation) == 0
    assert audit_actions(db) == []


# ------------------------------------------------------------------------------ duplicates


def test_probable_duplicates_are_reported_and_never_merged(db: Session) -> None:
    make_org(db, "Paris Habitat", email="contact@parishabitat.fr")
    text = (
        "Nom;Courriel\n"
        "PARIS-HABITAT;\n"  # 2: same name as the directory
        "Bailleur X;Contact@ParisHabitat.fr\n"  # 3: same email as the directory
        "Mission Locale;ml@example.org\n"  # 4
        "Mission locale;\n"  # 5: same name as line 4
        "Autre;ML@example.org\n"  # 6: same email as line 4
    )
    report = run(db, text, dry_run=True)
    assert report.errors == []
    assert [str(p) for p in report.duplicates] == [
        "Ligne 2 : doublon probable de « Paris Habitat », déjà dans l'annuaire (même nom).",
        "Ligne 3 : doublon probable de « Paris Habitat », déjà dans l'annuaire (même adresse électronique).",
        "Ligne 5 : doublon probable de la ligne 4 (même nom).",
        "Ligne 6 : doublon probable de la ligne 4 (même adresse électronique).",
    ]
    refused = run(db, text, dry_run=False)
    assert refused.blocked and refused.created == 0 and count(db, Organisation) == 1
    accepted = run(db, text, dry_run=False, allow_duplicates=True)
    assert not accepted.blocked and accepted.created == 5
    # created as new entries: the existing one is untouched
    assert count(db, Organisation) == 6
    assert db.scalars(select(Organisation.email).where(Organisation.name == "Paris Habitat")).one() == (
        "contact@parishabitat.fr"
    )
    assert audit_actions(db).count("directory.organisation.created") == 6
    assert audit_actions(db)[-1] == "directory.import.organisations"


def test_export_then_import_round_trip(client: TestClient, db: Session) -> None:
    make_org(
        db,
        "Valophis Habitat",
        kind="bailleur_social",
        is_signatory=True,
        phone="0149410000",
        pillars=["habitat_cadre_de_vie"],
        themes=["jeunesse"],
        description='=1+2 et "guillemets"; ok',
    )
    exported = client.get("/annuaire/organisations.csv").content
    report = run(db, exported, dry_run=True)
    assert report.errors == [] and report.rows == 1
    assert [str(p) for p in report.duplicates] == [
        "Ligne 2 : doublon probable de « Valophis Habitat », déjà dans l'annuaire (même nom)."
    ]
    run(db, exported, dry_run=False, allow_duplicates=True)
    copies = db.scalars(select(Organisation).order_by(Organisation.id)).all()
    original, copy = copies
    for field in ("name", "kind", "is_signatory", "phone", "description"):
        assert getattr(copy, field) == getattr(original, field), field
    assert sorted(t.tag for t in copy.tags) == sorted(t.tag for t in original.tags)


# ------------------------------------------------------------------------------ contacts


def test_contacts_import_with_organisation_role_and_consent(db: Session) -> None:
    caf = make_org(db, "Caisse d'Allocations Familiales")
    text = (
        "Prénom;Nom;Fonction;Courriel;Téléphone;Organisation;Rôle;Consentement\n"
        "Claire;Dubois;Conseillère;claire@example.org;06 12 34 56 78;caisse d'allocations familiales;"
        "Référente;oui\n"
        "Hélène;Garnier;Responsable;;;;;non\n"
        "Léa;Nguyen;;;;Organisme inconnu;;\n"
        "Marc;;;;;;;\n"
        "Claire;DUBOIS;;autre@example.org;;;;\n"
    )
    report = run(db, text, kind="contacts", dry_run=False)
    assert messages(report) == [
        "Ligne 4, colonne « Organisation » : organisation inconnue « Organisme inconnu » : "
        "importez-la ou créez-la d'abord.",
        "Ligne 5, colonne « Nom » : Le nom de famille est obligatoire.",
    ]
    assert [str(p) for p in report.duplicates] == ["Ligne 6 : doublon probable de la ligne 2 (même nom)."]
    assert count(db, Contact) == 0
    good = "\n".join(text.splitlines()[:3]) + "\n"
    done = run(db, good, kind="contacts", dry_run=False)
    assert done.created == 2
    dubois = db.scalars(select(Contact).where(Contact.last_name == "Dubois")).one()
    assert dubois.consent_listed and dubois.consent_at is not None and dubois.phone == "+33612345678"
    tie = db.scalars(select(Affiliation)).one()
    assert (tie.contact_id, tie.organisation_id, tie.role) == (dubois.id, caf.id, "Référente")
    garnier = db.scalars(select(Contact).where(Contact.last_name == "Garnier")).one()
    assert not garnier.consent_listed
    again = run(db, good, kind="contacts", dry_run=True)
    assert [str(p) for p in again.duplicates] == [
        "Ligne 2 : doublon probable de « Claire Dubois », déjà dans l'annuaire (même nom).",
        "Ligne 2 : doublon probable de « Claire Dubois », déjà dans l'annuaire (même adresse électronique).",
        "Ligne 3 : doublon probable de « Hélène Garnier », déjà dans l'annuaire (même nom).",
    ]


# ------------------------------------------------------------------------------ over HTTP


def upload(client: TestClient, data: bytes, **fields: str) -> object:
    form = {"csrf_token": csrf_token(client), "kind": "organisations", **fields}
    return client.post("/annuaire/import", data=form, files={"file": ("partenaires.csv", data, "text/csv")})


def test_import_page_documents_columns_and_checks_a_file(
    client: TestClient, db: Session, people: People
) -> None:
    login(client, people.admin)
    assert 'href="/annuaire/import"' in client.get("/admin/").text
    page = client.get("/annuaire/import")
    assert page.status_code == 200
    for text in (
        "Colonnes reconnues",
        "Code postal",
        "Consentement",
        "nom de l&#39;organisation",
        "5 Mo au plus",
    ):
        assert text in page.text
    bad = upload(
        client, "Nom;Courriel\nA;pas-une-adresse\n<script>x</script>;\n".encode("cp1252"), action="check"
    )
    assert bad.status_code == 400  # type: ignore[attr-defined]
    assert "Ligne 2, colonne « Courriel » : Adresse électronique invalide." in bad.text  # type: ignore[attr-defined]
    assert "<script>x" not in bad.text  # type: ignore[attr-defined]
    checked = upload(client, ORGS.encode("cp1252"), action="check")
    assert checked.status_code == 200  # type: ignore[attr-defined]
    assert "Essai réussi : 2 ligne(s)" in checked.text and "Windows-1252" in checked.text  # type: ignore[attr-defined]
    assert count(db, Organisation) == 0
    imported = upload(client, ORGS.encode("cp1252"), action="import")
    assert imported.status_code == 200  # type: ignore[attr-defined]
    assert "2 ligne(s) importée(s)." in imported.text  # type: ignore[attr-defined]
    assert count(db, Organisation) == 2
    again = upload(client, ORGS.encode("utf-8"), action="import")
    assert again.status_code == 400 and "doublon(s) probable(s)" in again.text  # type: ignore[attr-defined]
    assert count(db, Organisation) == 2


def test_import_page_refuses_missing_and_oversized_files(
    client: TestClient, db: Session, people: People
) -> None:
    login(client, people.admin)
    missing = client.post(
        "/annuaire/import",
        data={"csrf_token": csrf_token(client), "kind": "organisations", "action": "check"},
    )
    assert missing.status_code == 400 and "Choisissez un fichier CSV." in missing.text
    big = b"Nom\n" + b"Association de quartier\n" * (6 * 1024 * 1024 // 24)
    refused = upload(client, big, action="check")
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert "Le fichier est trop volumineux : 5 Mo au plus." in refused.text  # type: ignore[attr-defined]
    # 50 MB goes over the application's body limit: refused before it is read
    huge = b"Nom\n" + b"x" * (50 * 1024 * 1024)
    over = upload(client, huge, action="check")
    assert over.status_code == 413  # type: ignore[attr-defined]
    assert "dépasse la taille autorisée" in over.text  # type: ignore[attr-defined]
    fresh(db)
    assert count(db, Organisation) == 0


def test_only_admins_import(client: TestClient, people: People) -> None:
    login(client, people.animator)
    assert upload(client, ORGS.encode(), action="import").status_code == 403  # type: ignore[attr-defined]
