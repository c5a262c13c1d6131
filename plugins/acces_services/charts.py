"""Server-rendered SVG charts, with no JavaScript.

Built with :mod:`xml.etree.ElementTree`, which escapes every text and attribute, so a service
named ``<script>`` stays text and the result is always well-formed XML. Each chart is an
``<svg role="img">`` labelled by its ``<title>`` and ``<desc>``; the page puts its data table
right after it. Values are written with the same formatters as the table
(:mod:`plugins.acces_services.indicators`), and colour is never the only carrier of meaning.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from markupsafe import Markup

from core.i18n import gettext as _
from plugins.acces_services.indicators import Series, fmt_share

SVG_NS = "http://www.w3.org/2000/svg"
INK = "#1b1b1f"
MUTED = "#4a4a55"
LINE = "#c9ccd6"
BRAND = "#1f3a8a"
REFERENCE = "#b3261e"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"

# characters XML 1.0 forbids: they would make the SVG unreadable
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_ID = re.compile(r"[^A-Za-z0-9_-]")


def xml_text(value: str, limit: int | None = None) -> str:
    """Text safe for XML (forbidden characters removed), cut at ``limit`` characters."""
    value = _NOT_XML.sub("", value or "")
    if limit is not None and len(value) > limit:
        value = value[: limit - 1].rstrip() + "…"
    return value


def _root(chart_id: str, width: int, height: int, title: str, desc: str) -> ET.Element:
    safe_id = _ID.sub("-", chart_id)
    root = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "viewBox": f"0 0 {width} {height}",
            "width": str(width),
            "height": str(height),
            "role": "img",
            "aria-labelledby": f"{safe_id}-title {safe_id}-desc",
            "class": "chart",
            "font-family": FONT,
            "font-size": "13",
            "id": safe_id,
        },
    )
    ET.SubElement(root, "title", {"id": f"{safe_id}-title"}).text = xml_text(title)
    ET.SubElement(root, "desc", {"id": f"{safe_id}-desc"}).text = xml_text(desc)
    ET.SubElement(
        root, "rect", {"x": "0", "y": "0", "width": str(width), "height": str(height), "fill": "#ffffff"}
    )
    return root


def _text(parent: ET.Element, x: float, y: float, value: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, "text", {"x": f"{x:.1f}", "y": f"{y:.1f}", "fill": INK, **attrs})
    element.text = xml_text(value)
    return element


def _scale_max(values: Sequence[float]) -> float:
    """The top of the percentage axis: the next ten above every value, 10 at least, 100 at most."""
    top = max([10.0, *values])
    return min(100.0, math.ceil(top / 10) * 10 + (10 if top % 10 == 0 and top < 100 else 0))


def _tick(value: int) -> str:
    return _("%(value)s %%", value=value)


def _markup(root: ET.Element) -> Markup:
    return Markup(ET.tostring(root, encoding="unicode"))  # noqa: S704 - serialised by ElementTree, escaped


def trend_description(reference: float) -> str:
    """What a trend chart shows, for its ``<desc>``."""
    return _(
        "Ligne : part des usagers habitant le quartier à chaque période ; ligne pointillée : part du "
        "quartier dans la population (%(ref)s). Les valeurs sont dans le tableau qui suit.",
        ref=fmt_share(reference),
    )


def bars_description(reference: float, what: str) -> str:
    """What a bar chart shows, for its ``<desc>``; ``what`` names one bar ("une catégorie")."""
    return _(
        "Une barre par %(what)s : part des usagers habitant le quartier à la dernière période connue ; "
        "ligne pointillée : part du quartier dans la population (%(ref)s). Les valeurs sont dans le "
        "tableau qui suit.",
        what=what,
        ref=fmt_share(reference),
    )


def trend_chart(series: Series, chart_id: str, title: str, desc: str | None = None) -> Markup:
    """A line of the neighbourhood's share over the periods, with the reference as a dashed line."""
    width, height = 640, 300
    left, right, top, bottom = 60, 20, 24, 52
    plot_w, plot_h = width - left - right, height - top - bottom
    points = series.points
    shares = [p.share for p in points if p.share is not None]
    y_max = _scale_max([*shares, series.reference])
    root = _root(chart_id, width, height, title, desc or trend_description(series.reference))

    def y_of(value: float) -> float:
        return top + plot_h * (1 - value / y_max)

    step = 20 if y_max > 50 else 10
    axis = ET.SubElement(root, "g", {"class": "axis", "aria-hidden": "true"})
    for tick in range(0, int(y_max) + 1, step):
        y = y_of(tick)
        ET.SubElement(
            axis,
            "line",
            {
                "x1": str(left),
                "x2": str(width - right),
                "y1": f"{y:.1f}",
                "y2": f"{y:.1f}",
                "stroke": LINE,
                "stroke-width": "1",
            },
        )
        _text(axis, left - 8, y + 4, _tick(tick), **{"text-anchor": "end", "fill": MUTED})

    count = len(points)
    xs = [left + (plot_w * (i + 0.5) / count) for i in range(count)] if count else []
    for x, point in zip(xs, points, strict=True):
        _text(axis, x, height - bottom + 20, point.period, **{"text-anchor": "middle", "fill": MUTED})

    ref_y = y_of(series.reference)
    ref = ET.SubElement(root, "g", {"class": "reference"})
    ET.SubElement(
        ref,
        "line",
        {
            "x1": str(left),
            "x2": str(width - right),
            "y1": f"{ref_y:.1f}",
            "y2": f"{ref_y:.1f}",
            "stroke": REFERENCE,
            "stroke-width": "2",
            "stroke-dasharray": "6 4",
        },
    )
    _text(
        ref,
        width - right,
        ref_y - 6,
        _("Part dans la population : %(value)s", value=fmt_share(series.reference)),
        **{"text-anchor": "end", "fill": REFERENCE},
    )

    data = ET.SubElement(root, "g", {"class": "series"})
    coords = [(x, y_of(p.share)) for x, p in zip(xs, points, strict=True) if p.share is not None]
    if len(coords) > 1:
        ET.SubElement(
            data,
            "polyline",
            {
                "points": " ".join(f"{x:.1f},{y:.1f}" for x, y in coords),
                "fill": "none",
                "stroke": BRAND,
                "stroke-width": "3",
            },
        )
    for x, point in zip(xs, points, strict=True):
        if point.share is None:
            continue
        y = y_of(point.share)
        ET.SubElement(data, "circle", {"cx": f"{x:.1f}", "cy": f"{y:.1f}", "r": "5", "fill": BRAND})
        _text(
            data,
            x,
            y - 10,
            fmt_share(point.share),
            **{"text-anchor": "middle", "class": "value", "data-period": point.period, "font-weight": "600"},
        )
    if not coords:
        _text(root, width / 2, height / 2, _("Aucun chiffre pour l'instant"), **{"text-anchor": "middle"})
    return _markup(root)


def share_bars(series_list: Sequence[Series], chart_id: str, title: str, desc: str) -> Markup:
    """One horizontal bar per series (its latest share), with the reference as a dashed line."""
    rows = [s for s in series_list if s.latest is not None]
    width, row_h = 640, 30
    label_w, right, top, bottom = 230, 70, 16, 36
    height = top + bottom + row_h * max(1, len(rows))
    plot_w = width - label_w - right
    shares = [s.latest.share for s in rows if s.latest is not None and s.latest.share is not None]
    x_max = _scale_max([*shares, rows[0].reference if rows else 0.0])
    root = _root(chart_id, width, height, title, desc)

    def x_of(value: float) -> float:
        return label_w + plot_w * value / x_max

    axis = ET.SubElement(root, "g", {"class": "axis", "aria-hidden": "true"})
    step = 20 if x_max > 50 else 10
    for tick in range(0, int(x_max) + 1, step):
        x = x_of(tick)
        ET.SubElement(
            axis,
            "line",
            {
                "x1": f"{x:.1f}",
                "x2": f"{x:.1f}",
                "y1": str(top),
                "y2": str(height - bottom),
                "stroke": LINE,
                "stroke-width": "1",
            },
        )
        _text(axis, x, height - bottom + 16, _tick(tick), **{"text-anchor": "middle", "fill": MUTED})

    bars = ET.SubElement(root, "g", {"class": "series"})
    for index, series in enumerate(rows):
        latest = series.latest
        assert latest is not None and latest.share is not None
        y = top + index * row_h
        _text(
            bars,
            label_w - 8,
            y + row_h / 2 + 4,
            xml_text(series.label, 32),
            **{"text-anchor": "end", "class": "label", "data-key": series.key},
        )
        bar_w = max(1.0, x_of(latest.share) - label_w)
        ET.SubElement(
            bars,
            "rect",
            {
                "x": str(label_w),
                "y": f"{y + 5:.1f}",
                "width": f"{bar_w:.1f}",
                "height": str(row_h - 10),
                "fill": BRAND,
            },
        )
        _text(
            bars,
            label_w + bar_w + 6,
            y + row_h / 2 + 4,
            fmt_share(latest.share),
            **{"class": "value", "data-key": series.key, "font-weight": "600"},
        )
    if rows:
        ref_x = x_of(rows[0].reference)
        ref = ET.SubElement(root, "g", {"class": "reference"})
        ET.SubElement(
            ref,
            "line",
            {
                "x1": f"{ref_x:.1f}",
                "x2": f"{ref_x:.1f}",
                "y1": str(top - 6),
                "y2": str(height - bottom),
                "stroke": REFERENCE,
                "stroke-width": "2",
                "stroke-dasharray": "6 4",
            },
        )
        _text(
            ref,
            ref_x + 4,
            height - 6,
            _("Population : %(value)s", value=fmt_share(rows[0].reference)),
            **{"fill": REFERENCE},
        )
    else:
        _text(root, width / 2, height / 2, _("Aucun chiffre pour l'instant"), **{"text-anchor": "middle"})
    return _markup(root)
