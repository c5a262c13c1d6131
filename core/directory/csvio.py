"""CSV import and export of the directory, as French spreadsheets write and read them.

Export: ``;``-separated, UTF-8 with a byte-order mark, CRLF line ends (what French Excel opens
directly), French headers, and cells that a spreadsheet would run as a formula neutralised
with a leading apostrophe.

Import: comma, semicolon or tab (guessed with :class:`csv.Sniffer`, checked against the
headers), UTF-8 with or without BOM, UTF-16 with BOM, or Windows-1252 (recognised with
``charset-normalizer``); French headers, with accents, case and punctuation ignored. Every line
is checked before anything is written: a dry run reports each bad line with its number and the
reason in French, and the probable duplicates (same folded name, same email; against the
directory and within the file). A real import writes all the lines or none.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import charset_normalizer
from babel.support import LazyProxy
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import i18n
from core.audit import services as audit
from core.directory import services, vocab
from core.directory.models import Contact, Organisation
from core.directory.normalise import contact_name_key, fold, name_key
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from core.web.templating import format_phone

if TYPE_CHECKING:
    from core.accounts.models import User

#: largest file the import reads (about 20,000 lines): the web form and the command line
IMPORT_MAX_BYTES = 5 * 1024 * 1024
KINDS = ("organisations", "contacts")
BOM = "\ufeff"
# a cell starting with one of these is a formula to a spreadsheet (CSV injection)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER_LIKE = re.compile(r"[+-]?[\d\s().]*")


class CsvFileError(ValueError):
    """The file as a whole cannot be read (empty, not text, unknown encoding, bad headers…)."""


@dataclass(frozen=True)
class Column:
    """A CSV column: the service field it fills, its French header and the other names accepted."""

    field: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    help: LazyProxy | str = ""

    def names(self) -> set[str]:
        """Every folded header that designates this column."""
        return {fold(self.header), fold(self.field), *(fold(a) for a in self.aliases)}


_EMAIL_ALIASES = ("email", "e-mail", "mail", "adresse électronique", "adresse e-mail", "adresse mail", "mél")
_PHONE_ALIASES = ("tél", "tel", "téléphone fixe", "numéro de téléphone", "portable", "mobile")

ORGANISATION_COLUMNS: tuple[Column, ...] = (
    Column(
        "name",
        "Nom",
        ("nom de l'organisation", "organisation", "structure", "raison sociale"),
        True,
        _l("Obligatoire, 200 caractères au plus."),
    ),
    Column(
        "kind",
        "Type",
        ("type d'organisation", "catégorie", "nature"),
        help=_l(
            "Un des types de l'annuaire (par exemple « Association », « Bailleur social ») ; "
            "vide : « Autre »."
        ),
    ),
    Column(
        "is_signatory", "Signataire", ("signataire du contrat",), help=_l("« oui » ou « non » ; vide : non.")
    ),
    Column("commitments", "Engagements", ("engagement",), help=_l("Les engagements d'un signataire.")),
    Column(
        "pillars",
        "Piliers",
        ("pilier",),
        help=_l(
            "Piliers du contrat, séparés par « | » : Cohésion sociale, Emploi et développement économique, "
            "Habitat et cadre de vie."
        ),
    ),
    Column(
        "themes",
        "Thèmes",
        ("thème", "thématiques", "axes transversaux"),
        help=_l(
            "Thèmes transversaux, séparés par « | » : Lutte contre les discriminations, Égalité entre les "
            "femmes et les hommes, Jeunesse."
        ),
    ),
    Column("address", "Adresse", ("rue",)),
    Column("postcode", "Code postal", ("cp",)),
    Column("city", "Ville", ("commune",)),
    Column(
        "website", "Site web", ("site", "site internet", "url"), help=_l("Adresse en http:// ou https://.")
    ),
    Column("email", "Courriel", _EMAIL_ALIASES),
    Column("phone", "Téléphone", _PHONE_ALIASES, help=_l("Numéro français ou international (+…).")),
    Column("description", "Description", ("présentation",)),
)

CONTACT_COLUMNS: tuple[Column, ...] = (
    Column("first_name", "Prénom"),
    Column("last_name", "Nom", ("nom de famille",), True, _l("Obligatoire.")),
    Column("function", "Fonction", ("poste", "titre")),
    Column("email", "Courriel", _EMAIL_ALIASES),
    Column("phone", "Téléphone", _PHONE_ALIASES),
    Column(
        "organisation",
        "Organisation",
        ("structure", "organisme", "employeur"),
        help=_l("Le nom exact d'une organisation déjà dans l'annuaire ; vide : aucune."),
    ),
    Column(
        "role",
        "Rôle",
        ("rôle dans l'organisation",),
        help=_l("Le rôle dans cette organisation ; vide : la fonction."),
    ),
    Column(
        "consent_listed",
        "Consentement",
        ("accepte d'apparaître dans l'annuaire", "consentement annuaire"),
        help=_l("« oui » si la personne accepte d'apparaître dans les listes de l'annuaire ; vide : non."),
    ),
)

COLUMNS: dict[str, tuple[Column, ...]] = {"organisations": ORGANISATION_COLUMNS, "contacts": CONTACT_COLUMNS}


# ------------------------------------------------------------------------------------ export


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER_LIKE.fullmatch(text):
        return "'" + text
    return text


def _french(label: Any) -> str:
    with i18n.language("fr"):
        return str(label)


def _write(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return BOM + buffer.getvalue()


def _yes_no(flag: bool) -> str:
    return _french(_l("oui")) if flag else _french(_l("non"))


def organisations_csv(organisations: Iterable[Organisation]) -> str:
    """The organisations as a French-Excel CSV text (BOM included), with the import's headers."""

    def row(org: Organisation) -> list[Any]:
        tags = [t.tag for t in org.tags]
        kind = vocab.ORGANISATION_KINDS.get(org.kind)
        return [
            org.name,
            _french(kind) if kind is not None else org.kind,
            _yes_no(org.is_signatory),
            org.commitments,
            " | ".join(_french(vocab.PILLARS[c]) for c in vocab.codes(tags, "pillar")),
            " | ".join(_french(vocab.THEMES[c]) for c in vocab.codes(tags, "theme")),
            org.address,
            org.postcode,
            org.city,
            org.website,
            org.email,
            format_phone(org.phone),
            org.description,
        ]

    return _write([c.header for c in ORGANISATION_COLUMNS], (row(o) for o in organisations))


def contacts_csv(contacts: Iterable[Contact]) -> str:
    """The contacts (affiliations loaded) as a French-Excel CSV text, one line per contact with
    their primary organisation and role."""

    def row(contact: Contact) -> list[Any]:
        ties = sorted(contact.affiliations, key=lambda a: (not a.is_primary, a.id))
        primary = ties[0] if ties else None
        return [
            contact.first_name,
            contact.last_name,
            contact.function,
            contact.email,
            format_phone(contact.phone),
            primary.organisation.name if primary else "",
            primary.role if primary else "",
            _yes_no(contact.consent_listed),
        ]

    return _write([c.header for c in CONTACT_COLUMNS], (row(c) for c in contacts))


# ------------------------------------------------------------------------------------ report


@dataclass(frozen=True)
class Problem:
    """A reason a line (or, with ``line`` ``None``, the file) cannot be imported as it is."""

    line: int | None
    message: str
    column: str = ""

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        if self.column:
            return _(
                "Ligne %(line)s, colonne « %(column)s » : %(reason)s",
                line=self.line,
                column=self.column,
                reason=self.message,
            )
        return _("Ligne %(line)s : %(reason)s", line=self.line, reason=self.message)


@dataclass
class ImportReport:
    """What an import found, and did: shown on the import page and printed by the CLI."""

    kind: str
    dry_run: bool
    allow_duplicates: bool = False
    encoding: str = ""
    delimiter: str = ""
    #: data lines read (blank lines left aside)
    rows: int = 0
    errors: list[Problem] = field(default_factory=list)
    duplicates: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    created: int = 0

    @property
    def blocked(self) -> bool:
        """Whether the import cannot (or could not) go ahead: errors, or duplicates not allowed."""
        return bool(self.errors) or (bool(self.duplicates) and not self.allow_duplicates)

    @property
    def delimiter_label(self) -> str:
        """The separator, in words."""
        return {";": _("point-virgule"), ",": _("virgule"), "\t": _("tabulation")}.get(self.delimiter, "")

    def summary(self) -> str:
        """One French sentence saying how it went."""
        if self.errors:
            return (
                _("%(n)s erreur(s) : rien n'a été importé.", n=len(self.errors))
                if not self.dry_run
                else _("%(n)s erreur(s) : corrigez le fichier avant de l'importer.", n=len(self.errors))
            )
        if self.duplicates and not self.allow_duplicates:
            return (
                _(
                    "%(n)s doublon(s) probable(s) : rien n'a été importé. Vérifiez-les, puis importez en "
                    "acceptant de les créer.",
                    n=len(self.duplicates),
                )
                if not self.dry_run
                else _(
                    "%(n)s doublon(s) probable(s) : vérifiez-les ; l'import devra accepter de les créer.",
                    n=len(self.duplicates),
                )
            )
        if self.dry_run:
            return _("Essai réussi : %(n)s ligne(s) prête(s) à être importée(s).", n=self.rows)
        return _("%(n)s ligne(s) importée(s).", n=self.created)

    def lines(self) -> list[str]:
        """The whole report as lines of text (for the command line)."""
        out = [self.summary()]
        if self.encoding:
            out.append(
                _(
                    "Fichier lu en %(encoding)s, séparateur : %(delimiter)s, %(rows)s ligne(s) de données.",
                    encoding=self.encoding,
                    delimiter=self.delimiter_label,
                    rows=self.rows,
                )
            )
        out += [_("Attention : %(warning)s", warning=w) for w in self.warnings]
        out += [_("Erreur – %(problem)s", problem=str(p)) for p in self.errors]
        out += [_("Doublon probable – %(problem)s", problem=str(p)) for p in self.duplicates]
        return out


# ------------------------------------------------------------------------------------ reading


def decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the name of its encoding; :class:`CsvFileError` when it is not
    readable text."""
    if not data.strip(b" \t\r\n\x00" + codecs.BOM_UTF8):
        raise CsvFileError(_("Le fichier est vide."))
    try:
        if data.startswith(codecs.BOM_UTF8):
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "UTF-8 (BOM)"
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return data.decode("utf-16"), "UTF-16"
    except UnicodeDecodeError as exc:
        raise CsvFileError(_("Le fichier annonce un encodage qu'il ne respecte pas.")) from exc
    if b"\x00" in data:
        raise CsvFileError(_("Ce fichier n'est pas un fichier texte CSV."))
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    # not UTF-8: French spreadsheets then write Windows-1252 (or its ISO cousin); restricting
    # the candidates keeps a short French text from being taken for a Central European code page
    best = charset_normalizer.from_bytes(data, cp_isolation=["cp1252", "iso8859_15"]).best()
    if best is None:
        raise CsvFileError(
            _(
                "Encodage du fichier non reconnu, ou ce n'est pas un fichier texte. Enregistrez-le depuis "
                "le tableur au format « CSV UTF-8 » ou « CSV (séparateur : point-virgule) »."
            )
        )
    return str(best), "Windows-1252" if best.encoding == "cp1252" else "ISO-8859-15"


def _header_index(header: Sequence[str], columns: Sequence[Column]) -> dict[str, int]:
    by_name = {name: c for c in columns for name in c.names()}
    found: dict[str, int] = {}
    for index, title in enumerate(header):
        column = by_name.get(fold(title))
        if column is not None and column.field not in found:
            found[column.field] = index
    return found


def _first_record(text: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    except csv.Error:
        return []


def detect_delimiter(text: str, columns: Sequence[Column]) -> str:
    """The separator: :class:`csv.Sniffer`'s guess, unless another one makes the header row name
    more known columns (the sniffer is easily misled by commas inside quoted texts)."""
    candidates: list[str] = []
    with contextlib.suppress(csv.Error):
        candidates.append(csv.Sniffer().sniff(text[: 64 * 1024], delimiters=";,\t").delimiter)
    candidates += [d for d in (";", ",", "\t") if d not in candidates]
    scores = {d: len(_header_index(_first_record(text, d), columns)) for d in candidates}
    return max(candidates, key=lambda d: (scores[d], -candidates.index(d)))


@dataclass
class _Line:
    number: int
    values: dict[str, str]


def _unguard(cell: str) -> str:
    # our own export neutralised formulas with an apostrophe: give the text back
    if len(cell) > 1 and cell[0] == "'" and cell[1] in "=+-@":
        return cell[1:]
    return cell


def read_lines(data: bytes, kind: str, report: ImportReport) -> list[_Line]:
    """Decode and parse the file into lines of ``{field: text}``; file-level problems go to
    ``report.errors`` (and no line is returned)."""
    columns = COLUMNS[kind]
    try:
        text, report.encoding = decode(data)
    except CsvFileError as exc:
        report.errors.append(Problem(None, str(exc)))
        return []
    report.delimiter = detect_delimiter(text, columns)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=report.delimiter, strict=True)
    lines: list[_Line] = []
    try:
        header = next(reader, [])
        index = _header_index(header, columns)
        missing = [c.header for c in columns if c.required and c.field not in index]
        if missing:
            report.errors.append(
                Problem(
                    None,
                    _(
                        "Colonne obligatoire absente : %(columns)s. La première ligne doit donner les noms "
                        "des colonnes (voir la liste des colonnes reconnues).",
                        columns=", ".join(missing),
                    ),
                )
            )
            return []
        known = set(index.values())
        ignored = [h for i, h in enumerate(header) if i not in known and h.strip()]
        if ignored:
            report.warnings.append(
                _("colonne(s) ignorée(s) : %(columns)s.", columns=", ".join(f"« {h[:60]} »" for h in ignored))
            )
        width = len(header)
        while True:
            start = reader.line_num + 1
            row = next(reader, None)
            if row is None:
                break
            if not any(cell.strip() for cell in row):
                continue
            report.rows += 1
            if len(row) > width and any(cell.strip() for cell in row[width:]):
                report.errors.append(
                    Problem(
                        start,
                        _(
                            "%(found)s valeurs pour %(expected)s colonnes (un séparateur de trop, ou un "
                            "texte à mettre entre guillemets ?).",
                            found=len(row),
                            expected=width,
                        ),
                    )
                )
                continue
            values = {f: _unguard(row[i]) if i < len(row) else "" for f, i in index.items()}
            lines.append(_Line(start, values))
    except csv.Error as exc:
        report.errors.append(
            Problem(
                reader.line_num or None,
                _(
                    "fichier CSV mal formé (guillemet non fermé ou champ démesuré) : %(error)s",
                    error=str(exc),
                ),
            )
        )
        return []
    if report.rows == 0:
        report.errors.append(
            Problem(
                None, _("Le fichier ne contient aucune ligne de données, seulement les noms des colonnes.")
            )
        )
    return lines


# ---------------------------------------------------------------------------------- checking


def _headers(kind: str) -> dict[str, str]:
    headers = {c.field: c.header for c in COLUMNS[kind]}
    headers.update(pillars=headers.get("pillars", ""), themes=headers.get("themes", ""))
    return headers


def _chunks(values: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _existing(
    db: Session, model: type[Organisation] | type[Contact], keys: set[str], emails: set[str]
) -> dict[str, dict[str, str]]:
    """What the directory already holds under these name keys and emails: ``{key: label}``."""
    found: dict[str, dict[str, str]] = {"name": {}, "email": {}}

    def label(row: Any) -> str:
        return str(row.name) if model is Organisation else f"{row.first_name} {row.last_name}".strip()

    wanted = (
        [model.name, model.name_key, model.email]
        if model is Organisation
        else [Contact.first_name, Contact.last_name, Contact.name_key, Contact.email]
    )
    live = [Contact.anonymised_at.is_(None)] if model is Contact else []
    for what, column, values in (("name", model.name_key, keys), ("email", model.email, emails)):
        for chunk in _chunks(sorted(values - {""})):
            for row in db.execute(select(*wanted).where(column.in_(chunk), *live)):
                found[what].setdefault(row.name_key if what == "name" else row.email, label(row))
    return found


def _organisations_by_key(db: Session, names: Iterable[str]) -> dict[str, list[Organisation]]:
    keys = sorted({name_key(n)[:200] for n in names} - {""})
    found: dict[str, list[Organisation]] = {}
    for chunk in _chunks(keys):
        for org in db.scalars(select(Organisation).where(Organisation.name_key.in_(chunk))):
            found.setdefault(org.name_key, []).append(org)
    return found


@dataclass
class _Planned:
    """A checked line, ready to be written, with the keys duplicates are spotted by."""

    line: int
    values: dict[str, str]
    keys: dict[str, str]
    organisation: Organisation | None = None
    role: str = ""


def _problems(line: int, exc: services.InvalidInput, headers: Mapping[str, str]) -> list[Problem]:
    return [Problem(line, message, headers.get(f, "")) for f, message in exc.errors.items()]


def _check_organisations(db: Session, lines: Sequence[_Line], report: ImportReport) -> list[_Planned]:
    headers = _headers("organisations")
    planned: list[_Planned] = []
    for line in lines:
        try:
            data = services.clean_organisation(line.values)
        except services.InvalidInput as exc:
            report.errors += _problems(line.number, exc, headers)
            continue
        keys = {"name": name_key(data["name"])[:200], "email": data["email"]}
        planned.append(_Planned(line.number, line.values, keys))
    _report_duplicates(db, Organisation, planned, report)
    return planned


def _check_contacts(db: Session, lines: Sequence[_Line], report: ImportReport) -> list[_Planned]:
    headers = _headers("contacts")
    organisations = _organisations_by_key(db, (li.values.get("organisation", "") for li in lines))
    planned: list[_Planned] = []
    for line in lines:
        problems: list[Problem] = []
        data: dict[str, Any] = {}
        try:
            data = services.clean_contact(line.values)
        except services.InvalidInput as exc:
            problems += _problems(line.number, exc, headers)
        organisation = None
        wanted = services.clean_text(line.values.get("organisation", ""))
        matches = organisations.get(name_key(wanted)[:200], []) if wanted else []
        if wanted and not matches:
            problems.append(
                Problem(
                    line.number,
                    _(
                        "organisation inconnue « %(name)s » : importez-la ou créez-la d'abord.",
                        name=wanted[:200],
                    ),
                    headers["organisation"],
                )
            )
        elif len(matches) > 1:
            problems.append(
                Problem(
                    line.number,
                    _(
                        "plusieurs organisations portent le nom « %(name)s » : rattachez la personne depuis "
                        "sa fiche.",
                        name=wanted[:200],
                    ),
                    headers["organisation"],
                )
            )
        elif matches:
            organisation = matches[0]
        role = ""
        try:
            role = services.clean_role(line.values.get("role", "") or line.values.get("function", ""))
        except services.InvalidInput as exc:
            problems += _problems(line.number, exc, headers)
        if problems:
            report.errors += problems
            continue
        keys = {"name": contact_name_key(data["first_name"], data["last_name"])[:200], "email": data["email"]}
        planned.append(_Planned(line.number, line.values, keys, organisation, role))
    _report_duplicates(db, Contact, planned, report)
    return planned


def _report_duplicates(
    db: Session, model: type[Organisation] | type[Contact], planned: Sequence[_Planned], report: ImportReport
) -> None:
    """Probable duplicates: a key the directory already holds, or an earlier line's."""
    existing = _existing(db, model, {p.keys["name"] for p in planned}, {p.keys["email"] for p in planned})
    reasons = {"name": _("même nom"), "email": _("même adresse électronique")}
    seen: dict[str, dict[str, int]] = {"name": {}, "email": {}}
    for item in planned:
        for what, key in item.keys.items():
            if not key:
                continue
            label = existing[what].get(key)
            if label is not None:
                report.duplicates.append(
                    Problem(
                        item.line,
                        _(
                            "doublon probable de « %(name)s », déjà dans l'annuaire (%(reason)s).",
                            name=label,
                            reason=reasons[what],
                        ),
                    )
                )
            earlier = seen[what].setdefault(key, item.line)
            if earlier != item.line:
                report.duplicates.append(
                    Problem(
                        item.line,
                        _(
                            "doublon probable de la ligne %(earlier)s (%(reason)s).",
                            earlier=earlier,
                            reason=reasons[what],
                        ),
                    )
                )


# ---------------------------------------------------------------------------------- importing


def import_csv(
    db: Session,
    actor: User | None,
    data: bytes,
    *,
    kind: str = "organisations",
    dry_run: bool = True,
    allow_duplicates: bool = False,
    now: datetime | None = None,
    max_bytes: int = IMPORT_MAX_BYTES,
) -> ImportReport:
    """Check a CSV file of ``kind`` (``organisations`` or ``contacts``) and, unless ``dry_run``,
    import it: every line or none.

    Nothing is written when a line is bad, or when probable duplicates are found and
    ``allow_duplicates`` is false (they are then created as new entries, never merged). The
    writes happen in the caller's transaction, through the directory services (so they are
    validated, indexed and audited like the forms' changes).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    report = ImportReport(kind=kind, dry_run=dry_run, allow_duplicates=allow_duplicates)
    if len(data) > max_bytes:
        report.errors.append(
            Problem(
                None,
                _(
                    "Le fichier est trop volumineux (%(size)s Mo) : %(max)s Mo au plus. Découpez-le en "
                    "plusieurs fichiers.",
                    size=round(len(data) / 1024 / 1024, 1),
                    max=round(max_bytes / 1024 / 1024, 1),
                ),
            )
        )
        return report
    lines = read_lines(data, kind, report)
    check = _check_organisations if kind == "organisations" else _check_contacts
    planned = check(db, lines, report) if lines else []
    report.errors.sort(key=lambda p: p.line or 0)  # file-level problems first, then by line
    if dry_run or report.blocked:
        return report
    for item in planned:
        if kind == "organisations":
            services.create_organisation(db, actor, item.values)
        else:
            contact = services.create_contact(db, actor, item.values, now=now)
            if item.organisation is not None:
                services.set_affiliation(db, actor, contact, item.organisation, item.role)
        report.created += 1
    audit.record(
        db,
        actor,
        f"directory.import.{kind}",
        None,
        object_type=kind,
        summary=_("Import CSV : %(n)s ligne(s) créée(s).", n=report.created),
        changes={"created": [0, report.created], "duplicates": [0, len(report.duplicates)]},
    )
    return report
