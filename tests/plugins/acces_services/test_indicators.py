"""Indicators: shares against the neighbourhood's share, gaps, trends; SVG charts that parse
as XML and agree with their data tables; CSV export; the configurable reference share."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import date

from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from plugins.acces_services import charts
from plugins.acces_services import indicators as ind
from plugins.acces_services.services import FigureFact
from tests.helpers import login, post_form
from tests.plugins.acces_services.conftest import ANIMATOR, CULTURE_PROVIDER, service_id, text

SVG = "{http://www.w3.org/2000/svg}"


def svgs(html: str) -> dict[str, ET.Element]:
    """Every inline chart of a page, parsed as XML, by id."""
    found = {}
    for chunk in re.findall(r"<svg\b.*?</svg>", html, re.S):
        root = ET.fromstring(chunk)
        found[root.get("id", "")] = root
    return found


def chart_values(root: ET.Element) -> dict[str, str]:
    """The value labels of a bar chart: series key → text."""
    return {t.get("data-key", ""): t.text or "" for t in root.iter(f"{SVG}text") if t.get("class") == "value"}


def table_values(html: str, chart: str) -> dict[str, str]:
    """The share column of a chart's data table: series key → text."""
    table = re.search(rf'<table class="chart-data" data-chart="{chart}">.*?</table>', html, re.S)
    assert table is not None, chart
    return dict(re.findall(r'<tr data-key="([^"]+)">.*?<td class="share">([^<]+)</td>', table.group(0), re.S))


def test_charts_are_accessible_xml_and_match_their_tables(client: TestClient, platform: int) -> None:
    login(client, CULTURE_PROVIDER)
    page = client.get("/acces_services/indicateurs")
    assert page.status_code == 200
    html = page.text
    charts_found = svgs(html)
    assert set(charts_found) == {"chart-overall", "chart-categories", "chart-services"}
    for chart_id, root in charts_found.items():
        assert root.get("role") == "img"
        title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
        assert title is not None and desc is not None and title.text and desc.text
        assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
        # each chart is followed by its data table
        after = html[html.index(f'id="{chart_id}"') :]
        assert after.index("</svg>") < after.index('<table class="chart-data"')
    for chart in ("chart-categories", "chart-services"):
        values = chart_values(charts_found[chart])
        assert values and values == table_values(html, chart)
    services = chart_values(charts_found["chart-services"])
    assert len(services) == 12
    # the conservatoire: 36 of 402 users in 2025-T4 → 9,0 %, 14 points under the 23 % reference
    body = text(page)
    assert "Les plus grands écarts" in body
    assert re.search(
        r"Conservatoire municipal de musique, danse et théâtre</a> :\s+9,0 % d'usagers du quartier en "
        r"2025-T4, soit −14,0 points",
        body,
    )


def test_the_gap_follows_the_reference_share_set_by_animators(
    client: TestClient, db: Session, platform: int
) -> None:
    conservatoire = service_id(db, "Conservatoire municipal de musique, danse et théâtre")
    login(client, ANIMATOR)
    settings = client.get("/acces_services/parametres")
    assert settings.status_code == 200 and 'value="23,00"' in settings.text
    refused = post_form(
        client,
        "/acces_services/parametres",
        {
            "neighbourhood_name": "Les Hautes-Noues",
            "neighbourhood_share": "123",
            "period_kind": "quarter",
            "near_km": "0,5",
            "walk_km": "1,2",
            "city_km": "4",
        },
    )
    assert refused.status_code == 400 and "entre 0 et 100 %" in text(refused)
    assert 'value="123"' in refused.text
    saved = post_form(
        client,
        "/acces_services/parametres",
        {
            "neighbourhood_name": "Les Hautes-Noues",
            "neighbourhood_share": "20,5",
            "period_kind": "quarter",
            "near_km": "0,5",
            "walk_km": "1,2",
            "city_km": "4",
        },
    )
    assert saved.status_code == 200 and "Paramètres enregistrés." in text(saved)
    page = text(client.get(f"/acces_services/indicateurs/services/{conservatoire}"))
    assert "20,5 %" in page and "−11,5 points" in page


def test_csv_export_matches_and_is_spreadsheet_safe(client: TestClient, db: Session, platform: int) -> None:
    login(client, CULTURE_PROVIDER)
    response = client.get("/acces_services/indicateurs.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == list(ind.CSV_HEADER)
    conservatoire = [r for r in rows if r[0] == "service" and r[1].startswith("Conservatoire")]
    assert [r[4:] for r in conservatoire] == [
        ["2025-T2", "410", "33", "8,0", "23,0", "-15,0"],
        ["2025-T3", "395", "34", "8,6", "23,0", "-14,4"],
        ["2025-T4", "402", "36", "9,0", "23,0", "-14,0"],
    ]
    by_category = text(client.get("/acces_services/indicateurs", params={"categorie": "sport"}))
    assert "Piscine municipale" in by_category and "Médiathèque" not in by_category
    sport = client.get("/acces_services/indicateurs.csv", params={"categorie": "sport"}).content.decode(
        "utf-8-sig"
    )
    assert "Piscine municipale" in sport and "Médiathèque" not in sport


def test_dashboard_highlights_the_largest_gaps_and_missing_figures(client: TestClient, platform: int) -> None:
    login(client, ANIMATOR)
    page = client.get("/acces_services/plateforme")
    assert page.status_code == 200
    body = text(page)
    gaps = chart_values(svgs(page.text)["chart-gaps"])
    assert gaps == table_values(page.text, "chart-gaps")
    # the largest gap first: every value under 23 %, increasing
    shares = [float(v.split()[0].replace(",", ".")) for v in gaps.values()]
    assert shares == sorted(shares) and all(s < 23 for s in shares)
    # the clock says 2 March 2026: 2025-T4 is the last quarter over, and every demo service has it
    assert "Chiffres manquants pour 2025-T4" in body
    assert "Tous les services ont leurs chiffres pour cette période." in body
    assert "Rapprocher le conservatoire du quartier" in body
    assert "Plateforme d'accès aux services – bilan annuel" in body  # the next meeting


# ---------------------------------------------------------------------------------------------
# pure functions (no database)
# ---------------------------------------------------------------------------------------------


def _fact(sid: int, name: str, category: str, period: str, start: date, total: int, local: int) -> FigureFact:
    return FigureFact(sid, name, category, "Org", period, start, total, local)


def test_series_compute_shares_gaps_trends_and_sums() -> None:
    facts = [
        _fact(1, "A", "sport", "2025-T3", date(2025, 7, 1), 100, 10),
        _fact(1, "A", "sport", "2025-T4", date(2025, 10, 1), 200, 30),
        _fact(2, "B", "sport", "2025-T4", date(2025, 10, 1), 0, 0),
        _fact(3, "C", "culture", "2025-T4", date(2025, 10, 1), 50, 25),
    ]
    services = ind.by_service(facts, 23.0)
    a, b, c = services
    assert [p.share for p in a.points] == [10.0, 15.0]
    assert a.gap == -8.0 and a.trend == 5.0
    assert b.latest is None and b.gap is None and b.trend is None
    assert c.gap == 27.0
    sport = next(s for s in ind.by_category(facts, 23.0) if s.category == "sport")
    assert sport.label == "Sport" and [(p.total, p.neighbourhood) for p in sport.points] == [
        (100, 10),
        (200, 30),
    ]
    assert [s.label for s in ind.by_category(facts, 23.0)] == ["Culture", "Sport"]
    assert ind.overall(facts, 23.0).points[-1].total == 250
    assert [s.label for s in ind.largest_gaps(services)] == ["A"]
    assert ind.fmt_points(-8.0) == "−8,0 points" and ind.fmt_points(0.01) == "0,0 points"
    assert ind.fmt_trend(0.5) == "stable" and ind.fmt_trend(-3) == "en baisse de 3,0 points"
    assert ind.fmt_share(None) == "—" and ind.fmt_count(12345) == "12\u202f345"


def test_hostile_labels_stay_text_in_the_svg() -> None:
    hostile = '<script>alert("x")</script>&\x01\x0b]]>'
    series = ind.Series(
        key="service-1",
        label=hostile,
        reference=23.0,
        service_id=1,
        points=(ind.Point("2025-T4", date(2025, 10, 1), 10, 1),),
    )
    for markup in (
        charts.share_bars([series], 'x"><script>', hostile, hostile),
        charts.trend_chart(series, "t", hostile, hostile),
    ):
        root = ET.fromstring(str(markup))
        assert "<script" not in str(markup) and "&lt;script&gt;" in str(markup)
        assert root.find(f"{SVG}script") is None
        assert root.find(f"{SVG}title").text.startswith('<script>alert("x")</script>&')  # type: ignore[union-attr]
    empty = ET.fromstring(str(charts.share_bars([], "e", "t", "d")))
    assert "Aucun chiffre pour l'instant" in "".join(empty.itertext())
