"""CSV files for French spreadsheets: ``;`` separated, UTF-8 with a BOM, no cell a spreadsheet
would run as a formula (CSV injection: a group name or a decision starting with ``=``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """A cell as text, quoted with ``'`` when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The whole file, BOM included."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([cell(h) for h in header])
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return "\ufeff" + out.getvalue()
