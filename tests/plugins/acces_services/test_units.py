"""Pure helpers: reporting periods and CSV reading/writing (no database)."""

from __future__ import annotations

from datetime import date

import pytest

from plugins.acces_services import csvio, periods
from plugins.acces_services.vocab import SEMESTER, YEAR


@pytest.mark.parametrize("text", ["2026-T1", "2026T1", "2026 t1", " T1 2026 ", "t1-2026", "2026/T1"])
def test_quarters_are_read_in_their_usual_spellings(text: str) -> None:
    period = periods.parse_period(text)
    assert (period.code, period.start, period.end) == ("2026-T1", date(2026, 1, 1), date(2026, 3, 31))


@pytest.mark.parametrize(
    "text", ["", "2026", "2026-T5", "2026-Q1", "T0 2026", "1999-T1", "2026-T1" * 5, "<script>"]
)
def test_bad_quarters_are_refused_in_french(text: str) -> None:
    with pytest.raises(periods.PeriodError) as error:
        periods.parse_period(text)
    assert "période" in str(error.value) or "année" in str(error.value).lower()


def test_semesters_years_and_the_last_ended_period() -> None:
    assert periods.parse_period("2025-S2", SEMESTER).end == date(2025, 12, 31)
    assert periods.parse_period("2025", YEAR).start == date(2025, 1, 1)
    assert periods.parse_period("2025-T4").end == date(2025, 12, 31)
    assert periods.last_ended(date(2026, 3, 2)).code == "2025-T4"
    assert periods.last_ended(date(2026, 3, 31)).code == "2026-T1"
    assert periods.last_ended(date(2026, 3, 2), SEMESTER).code == "2025-S2"
    assert periods.last_ended(date(2026, 3, 2), YEAR).code == "2025"
    assert [p.code for p in periods.recent_ended(date(2026, 3, 2), count=3)] == [
        "2025-T4",
        "2025-T3",
        "2025-T2",
    ]
    assert periods.previous(periods.parse_period("2026-T1")).code == "2025-T4"


def test_counts_are_read_the_french_way() -> None:
    assert csvio.parse_count("1 234") == 1234
    assert csvio.parse_count("1\u00a0234") == 1234
    assert csvio.parse_count("12,0") == 12
    assert csvio.parse_count("-3") == -3
    assert csvio.parse_count("") is None
    for bad in ("12,5", "douze", "1e3", "9" * 20):
        with pytest.raises(ValueError, match="n'est pas un nombre entier"):
            csvio.parse_count(bad)


def test_files_are_decoded_and_split_like_spreadsheets_write_them() -> None:
    assert csvio.decode("é;à".encode("cp1252")) == "é;à"
    assert csvio.decode("\ufeffé;à".encode()) == "é;à"
    assert csvio.sniff_delimiter("a,b,c") == "," and csvio.sniff_delimiter("a;b,c;d") == ";"
    read = csvio.read_figures(
        'Numéro;"Service";Période;Usagers;"Dont quartier"\n12;"A; B";2025-T1;3;1\n\n'.encode()
    )
    assert not read.errors
    line = read.lines[0]
    assert (line.line, line.number, line.service, line.period, line.total, line.neighbourhood) == (
        2,
        "12",
        "A; B",
        "2025-T1",
        3,
        1,
    )
    assert "trop volumineux" in csvio.read_figures(b"x" * (csvio.MAX_BYTES + 1)).errors[0]


def test_written_csv_neutralises_formulas() -> None:
    content = csvio.write_csv(["a", "b", "c"], [["=1+1", "+33", "-2"], ["@x", "ok", "3"]], numeric=(2,))
    assert content.startswith("\ufeff".encode())
    assert content.decode("utf-8-sig").splitlines() == ["a;b;c", "'=1+1;'+33;-2", "'@x;ok;3"]
