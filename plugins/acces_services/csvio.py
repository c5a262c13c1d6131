"""Reading the attendance CSV files that French spreadsheets write, and writing safe CSV exports.

Input: ``;`` or ``,`` separated, UTF-8 (with or without BOM) or Windows-1252, headers in any
case and with or without accents ("Période", "usagers du quartier"…). Output: ``;``
separated, UTF-8 with a BOM (Excel recognises it), and every text cell that a spreadsheet
would run as a formula is neutralised (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from core.directory.normalise import fold
from core.i18n import gettext as _
from plugins.acces_services.services import ImportLine

#: largest file accepted, in bytes
MAX_BYTES = 2 * 1024 * 1024
#: most data lines accepted in one file
MAX_LINES = 5000
#: longest cell kept for messages
MAX_CELL = 300

#: accepted header names (folded) for each column
HEADERS: dict[str, tuple[str, ...]] = {
    "number": ("numero", "n", "no", "num", "id", "numero du service", "n du service"),
    "service": ("service", "nom du service", "prestation", "nom"),
    "period": ("periode", "trimestre", "semestre", "annee"),
    "total": (
        "usagers",
        "nombre d usagers",
        "usagers total",
        "total usagers",
        "total",
        "nombre total d usagers",
    ),
    "neighbourhood": (
        "usagers quartier",
        "usagers du quartier",
        "dont quartier",
        "dont usagers du quartier",
        "quartier",
        "usagers habitant le quartier",
    ),
}
#: the header of the template file
TEMPLATE_HEADER = ("numero", "service", "periode", "usagers", "usagers_quartier")

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_INTEGER = re.compile(r"^[-−]?\d+(?:[.,]0+)?$")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "−")


@dataclass
class ReadResult:
    """The lines read from a file, or the reasons the file itself cannot be read."""

    lines: list[ImportLine] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (BOM or not), else Windows-1252; ``ValueError`` (French) otherwise."""
    if b"\x00" in data:
        raise ValueError(_("Ce fichier n'est pas un fichier texte CSV."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise ValueError(
            _("Encodage du fichier illisible : enregistrez-le en CSV UTF-8 ou Windows.")
        ) from exc


def sniff_delimiter(first_line: str) -> str:
    """``;`` (French spreadsheets) unless the header line holds more commas."""
    return "," if first_line.count(",") > first_line.count(";") else ";"


def parse_count(text: str) -> int | None:
    """An integer cell ("1 234", "12", "-3", "12,0"); ``None`` when empty; ``ValueError`` otherwise."""
    value = _SPACES.sub("", text or "")
    if not value:
        return None
    if not _INTEGER.match(value) or len(value) > 15:
        raise ValueError(_("« %(value)s » n'est pas un nombre entier.", value=(text or "").strip()[:30]))
    number = re.split(r"[.,]", value)[0].replace("−", "-")
    return int(number)


def _column_map(header: Sequence[str]) -> tuple[dict[str, int], list[str]]:
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        key = fold(name)
        for column, aliases in HEADERS.items():
            if key in aliases and column not in columns:
                columns[column] = index
    missing = []
    if "number" not in columns and "service" not in columns:
        missing.append(_("il manque la colonne « service » (ou « numero »)"))
    names = {"period": "periode", "total": "usagers", "neighbourhood": "usagers_quartier"}
    for column, shown in names.items():
        if column not in columns:
            missing.append(_("il manque la colonne « %(name)s »", name=shown))
    return columns, missing


def read_figures(data: bytes) -> ReadResult:
    """Read an attendance file into lines (numbered as in the spreadsheet: the header is line 1)."""
    result = ReadResult()
    if len(data) > MAX_BYTES:
        result.errors.append(_("Le fichier est trop volumineux (2 Mo au plus)."))
        return result
    try:
        content = decode(data)
    except ValueError as exc:
        result.errors.append(str(exc))
        return result
    content = content.lstrip("\ufeff")
    if not content.strip():
        result.errors.append(_("Le fichier est vide."))
        return result
    delimiter = sniff_delimiter(content.splitlines()[0])
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
        columns, missing = _column_map(header)
        if missing:
            result.errors.append(_("En-tête du fichier (ligne 1) : %(detail)s.", detail=" ; ".join(missing)))
            return result
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(result.lines) >= MAX_LINES:
                result.errors.append(_("Le fichier compte plus de %(n)s lignes : découpez-le.", n=MAX_LINES))
                return result
            result.lines.append(_line(reader.line_num, row, columns))
    except csv.Error as exc:
        result.errors.append(
            _("Ligne %(n)s : ligne CSV illisible (%(detail)s).", n=reader.line_num, detail=str(exc))
        )
    return result


def _line(number: int, row: list[str], columns: dict[str, int]) -> ImportLine:
    def cell(column: str) -> str:
        index = columns.get(column)
        return row[index].strip()[:MAX_CELL] if index is not None and index < len(row) else ""

    error = ""
    counts: dict[str, int | None] = {}
    for column in ("total", "neighbourhood"):
        try:
            counts[column] = parse_count(cell(column))
        except ValueError as exc:
            counts[column] = None
            error = error or str(exc)
    return ImportLine(
        line=number,
        number=cell("number"),
        service=cell("service"),
        period=cell("period"),
        total=counts["total"],
        neighbourhood=counts["neighbourhood"],
        error=error,
    )


def safe_cell(value: object) -> str:
    """A cell a spreadsheet will show as text, never run as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def write_csv(
    header: Sequence[str], rows: Iterable[Sequence[object]], *, numeric: Sequence[int] = ()
) -> bytes:
    """A ``;``-separated UTF-8 (BOM) file; text cells neutralised, ``numeric`` columns left as they are."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    numeric_set = set(numeric)
    for row in rows:
        writer.writerow([str(v) if i in numeric_set else safe_cell(v) for i, v in enumerate(row)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
