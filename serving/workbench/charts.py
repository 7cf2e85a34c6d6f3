"""Charts of the workbench, drawn on the server as SVG: no script, no chart library,
nothing fetched at run time.

Every chart takes already-translated strings (title, axis labels, series names), so one
function serves the zh-CN and the English page, and returns ``Markup`` (Jinja inserts it
as is): a ``<figure class="chart-figure">`` holding

- the ``<svg class="chart">``, sized by its ``viewBox`` (``width="100%"``: it scales with
  its column, from a narrow window to 1280 px), ``role="img"`` and labelled by its own
  ``<title>`` and ``<desc>`` (the numbers, in the caller's words);
- the same numbers as a ``<table class="visually-hidden">`` for screen readers: the page's
  stylesheet must define ``.visually-hidden`` (the usual clip-to-1-px rule); no inline
  style, so a strict Content-Security-Policy holds.

``data_table=False`` returns the bare ``<svg>``. Every text a chart embeds is XML-escaped.
Colours keep at least 3:1 contrast on white and never carry meaning alone: signed
numbers and the side of the axis, marker shapes and dash patterns say it too.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from markupsafe import Markup

FONT_FAMILY = (
    "system-ui, -apple-system, 'Segoe UI', 'PingFang SC', 'Microsoft YaHei', "
    "'Noto Sans CJK SC', sans-serif"
)
TEXT = "currentColor"  # follows the page's text colour
MUTED = "#595959"  # secondary text and reference lines: 7:1 on white
GRID = "#d9d9d9"  # decoration only: every value is printed or in the table
RAISES = "#b2182b"  # contribution that raises the risk (6.4:1 on white)
LOWERS = "#2166ac"  # contribution that lowers it (6.1:1)
BAR = "#1f5f99"
TARGET = "#1a1a1a"
# Series colours (after the Okabe-Ito palette, darkened to 3:1 or more on white), each with
# its own dash pattern and marker shape: two series never differ by colour alone.
PALETTE = ("#0b5fa5", "#c2410c", "#0f7a55", "#a3367a", "#5b4b8a", "#6b5a00", "#3d3d3d")
DASHES = ("", "7 3", "2 3", "9 3 2 3", "14 4", "4 2 1 2", "1 3")
MARKERS = ("circle", "square", "triangle", "diamond", "triangle-down", "cross", "plus")
MINUS = "\u2212"
# Labels drawn over the plot keep a white outline, so lines under them do not cross the text.
HALO = {"stroke": "#ffffff", "stroke_width": "3", "paint_order": "stroke"}

# --- text ---------------------------------------------------------------------------------

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _esc(text: object) -> str:
    """Text for an XML text node or a double-quoted attribute; characters XML 1.0 cannot
    hold at all (control characters) are dropped, or no parser would read the chart."""
    cleaned = _NOT_XML.sub("", str(text))
    return (
        cleaned.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


def _text_width(text: str, size: float) -> float:
    """Estimated width: CJK characters take a full em, others about half of one."""
    return size * sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.56 for c in text)


def _fit(text: str, width: float, size: float) -> str:
    """``text`` cut with an ellipsis to fit ``width`` (the full text stays in the tooltip
    and the table)."""
    if _text_width(text, size) <= width:
        return text
    kept = ""
    for character in text:
        if _text_width(kept + character + "…", size) > width:
            break
        kept += character
    return kept + "…"


def _text(x: float, y: float, content: str, size: float = 13, **attributes: str) -> str:
    """A ``<text>``; ``attributes`` with ``_`` for ``-`` (``text_anchor="end"``)."""
    extra = "".join(f' {k.replace("_", "-")}="{_esc(v)}"' for k, v in attributes.items())
    fill = "" if "fill" in attributes else f' fill="{TEXT}"'
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size:g}"{fill}{extra}>{_esc(content)}</text>'


def number(value: float | None, digits: int = 3) -> str:
    """``value`` with up to ``digits`` significant digits, thousands separated, a true
    minus sign; "—" when missing."""
    if value is None or not math.isfinite(value):
        return "—"
    if value == 0:
        return "0"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    text = f"{abs(value):,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return (MINUS if value < 0 else "") + text


def signed(value: float, decimals: int = 2) -> str:
    """``value`` with its sign always written (+0.84, −0.31)."""
    text = f"{abs(value):.{decimals}f}"
    if float(text) == 0:
        return text
    return ("+" if value > 0 else MINUS) + text


def percent(value: float | None, decimals: int = 1) -> str:
    """A share as a percentage ("12.5 %"); "—" when missing."""
    if value is None or not math.isfinite(value):
        return "—"
    return f"{100 * value:.{decimals}f} %"


# --- the document ---------------------------------------------------------------------------


def _chart_id(kind: str, *content: object) -> str:
    # Derived from the content, so a page renders the same bytes every time; two charts
    # of identical content on one page need ``chart_id``.
    digest = hashlib.blake2b(repr((kind, content)).encode(), digest_size=5).hexdigest()
    return f"chart-{kind}-{digest}"


def _document(
    chart_id: str,
    size: tuple[float, float],
    title: str,
    description: str,
    body: str,
    table: str | None,
) -> Markup:
    width, height = size
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width:.0f} {math.ceil(height)}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" font-family="{_esc(FONT_FAMILY)}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">'
        f'<title id="{chart_id}-title">{_esc(title)}</title>'
        f'<desc id="{chart_id}-desc">{_esc(description)}</desc>{body}</svg>'
    )
    if table is None:
        return Markup(svg)
    return Markup(f'<figure class="chart-figure" id="{chart_id}">{svg}{table}</figure>')


def _table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """The chart's numbers as an accessible table (first column = row headers)."""
    head = "".join(f'<th scope="col">{_esc(h)}</th>' for h in headers)
    body = "".join(
        f'<tr><th scope="row">{_esc(row[0])}</th>'
        + "".join(f"<td>{_esc(cell)}</td>" for cell in row[1:])
        + "</tr>"
        for row in rows
    )
    return (
        f'<table class="visually-hidden"><caption>{_esc(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _title_block(title: str, show: bool, width: float) -> tuple[str, float]:
    """The visible title (if shown) and the height it takes."""
    if not show:
        return "", 8.0
    return _text(16, 24, _fit(title, width - 32, 16), 16, font_weight="600"), 38.0


def _no_data(chart_id: str, title: str, label: str, show_title: bool, table: bool) -> Markup:
    """A chart without values: its title and a "no data" line, never an error."""
    width = 480
    heading, top = _title_block(title, show_title, width)
    body = heading + _text(width / 2, top + 34, label, 14, text_anchor="middle", fill=MUTED)
    return _document(
        chart_id,
        (width, top + 60),
        title,
        label,
        body,
        _table(title, [label], []) if table else None,
    )


# --- contributions --------------------------------------------------------------------------


@dataclass(frozen=True)
class Contribution:
    """One input's contribution to a category's score, in log-odds (TreeSHAP)."""

    label: str  # the input, translated ("Origin country")
    value_text: str  # its value as shown ("VN"); "" to show the label alone
    contribution: float  # positive raises the risk, negative lowers it

    @property
    def text(self) -> str:
        return f"{self.label} = {self.value_text}" if self.value_text != "" else self.label


def _as_contribution(item: Any) -> Contribution:
    """A ``Contribution``, a ``(label, value_text, contribution)`` tuple, or an object with
    ``label``, ``value`` and ``contribution`` (``models.decision.Reason``)."""
    if isinstance(item, Contribution):
        return item
    if isinstance(item, tuple | list):
        label, value, contribution = item
    else:
        label, value, contribution = item.label, item.value, item.contribution
    return Contribution(str(label), "" if value is None else str(value), float(contribution))


CONTRIBUTION_ROW = 46.0


def contribution_chart(
    contributions: Sequence[Any],
    *,
    title: str,
    base_label: str,
    unit_label: str,
    raises_label: str = "raises the risk",
    lowers_label: str = "lowers the risk",
    no_data_label: str = "No data",
    description: str | None = None,
    limit: int | None = None,
    decimals: int = 2,
    chart_id: str | None = None,
    show_title: bool = True,
    data_table: bool = True,
) -> Markup:
    """The contributions of one category of one goods item as bars on both sides of zero:
    right of the axis (red) raises the risk, left (blue) lowers it; each labelled "input =
    value" with its signed number, largest ``|contribution|`` first.

    ``contributions``: ``Contribution``, ``(label, value_text, contribution)`` tuples or
    reasons (``label``, ``value``, ``contribution``). ``base_label`` names what zero is
    (the model's average declaration); ``unit_label`` the unit ("log-odds").
    """
    rows = [_as_contribution(c) for c in contributions]
    rows = sorted((r for r in rows if math.isfinite(r.contribution)), key=_by_magnitude)
    rows = rows[:limit] if limit is not None else rows
    chart_id = chart_id or _chart_id("contributions", title, rows)
    if not rows:
        return _no_data(chart_id, title, no_data_label, show_title, data_table)
    width = 480.0
    heading, top = _title_block(title, show_title, width)
    centre = width / 2
    body = [
        heading,
        _text(centre - 8, top + 12, f"← {lowers_label}", 12, text_anchor="end", fill=LOWERS),
        _text(centre + 8, top + 12, f"{raises_label} →", 12, fill=RAISES),
    ]
    top += 24
    values = [signed(r.contribution, decimals) for r in rows]
    room = max(_text_width(v, 12) for v in values) + 10
    scale = (centre - 16 - room) / (max(abs(r.contribution) for r in rows) or 1.0)
    for i, (row, value) in enumerate(zip(rows, values, strict=True)):
        y = top + i * CONTRIBUTION_ROW
        direction = raises_label if row.contribution > 0 else lowers_label
        tooltip = f"{row.text}: {value} {unit_label} ({direction})"
        body.append(_contribution_row(row, value, tooltip, (y, centre, scale, width)))
    bottom = top + len(rows) * CONTRIBUTION_ROW + 4
    body.append(_text(centre, bottom + 14, f"0 = {base_label}", 12, text_anchor="middle"))
    body.append(_text(centre, bottom + 32, unit_label, 12, text_anchor="middle", fill=MUTED))
    table = _table(
        title,
        ["", unit_label, ""],
        [
            [r.text, v, raises_label if r.contribution > 0 else lowers_label]
            for r, v in zip(rows, values, strict=True)
        ],
    )
    summary = description or "; ".join(f"{r.text}: {v}" for r, v in zip(rows, values, strict=True))
    return _document(
        chart_id, (width, bottom + 44), title, summary, "".join(body), table if data_table else None
    )


def _by_magnitude(row: Contribution) -> float:
    return -abs(row.contribution)


def _contribution_row(
    row: Contribution, value: str, tooltip: str, place: tuple[float, float, float, float]
) -> str:
    """Label line, then the bar from the axis with its signed number at the end."""
    y, centre, scale, width = place
    length = max(abs(row.contribution) * scale, 1.0)
    raises = row.contribution > 0
    x = centre if raises else centre - length
    end = centre + length + 6 if raises else centre - length - 6
    return (
        f'<g class="contribution {"raises" if raises else "lowers"}">'
        + _text(16, y + 14, _fit(row.text, width - 32, 13), 13)
        + f'<line x1="{centre:.1f}" y1="{y + 18:.1f}" x2="{centre:.1f}" y2="{y + 40:.1f}" '
        f'stroke="{TEXT}" stroke-width="1"/>'
        f'<rect class="bar" x="{x:.1f}" y="{y + 21:.1f}" width="{length:.1f}" height="16" '
        f'fill="{RAISES if raises else LOWERS}"><title>{_esc(tooltip)}</title></rect>'
        + _text(end, y + 33.5, value, 12, text_anchor="start" if raises else "end")
        + "</g>"
    )


# --- line chart ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """One value of a series; ``y`` None (or NaN) leaves a gap in the line."""

    x: Any  # an ordered value: ISO date or month string, date, datetime
    y: float | None
    low: float | None = None  # optional interval, drawn as a whisker
    high: float | None = None
    note: str | None = None  # added to the tooltip and the table (e.g. "37 / 39.8")


@dataclass(frozen=True)
class Series:
    """A named line; ``points`` are ``Point``, ``(x, y)`` / ``(x, y, low, high)`` tuples or
    objects with ``x`` and ``y`` (and optionally ``low``, ``high``, ``note``)."""

    name: str
    points: Sequence[Any]


@dataclass(frozen=True)
class ReferenceLine:
    """A horizontal line (an alert threshold, O/E = 1), optionally with a band around it
    (0.8–1.25)."""

    value: float
    label: str
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Marker:
    """A vertical line at an x value (the shift, a promotion); between two x values of
    the chart it is drawn half way."""

    x: Any
    label: str


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def _as_point(item: Any) -> Point:
    if isinstance(item, Point):
        point = item
    elif isinstance(item, tuple | list):
        point = Point(*item)
    else:
        point = Point(
            item.x,
            item.y,
            getattr(item, "low", None),
            getattr(item, "high", None),
            getattr(item, "note", None),
        )
    clean = [None if _missing(v) else float(v) for v in (point.y, point.low, point.high)]
    return Point(point.x, *clean, point.note)


def x_key(x: Any) -> str:
    """How x values are ordered and matched: dates as ISO text, a time of midnight
    dropped ("2025-07-07"), anything else as its text ("2025-07")."""
    if isinstance(x, datetime):
        return x.date().isoformat() if x.time() == datetime.min.time() else x.isoformat()
    if isinstance(x, date):
        return x.isoformat()
    text = str(x)
    return text[:10] if text.endswith(" 00:00:00") or text.endswith("T00:00:00") else text


@dataclass(frozen=True)
class _Frame:
    """Where the plot area is and how values map onto it."""

    left: float
    top: float
    width: float
    height: float
    y_low: float
    y_high: float
    xs: tuple[str, ...]

    def x(self, index: float) -> float:
        if len(self.xs) == 1:
            return self.left + self.width / 2
        inner = 10.0  # the first and last markers stay clear of the axes
        return self.left + inner + index * (self.width - 2 * inner) / (len(self.xs) - 1)

    def y(self, value: float) -> float:
        share = (value - self.y_low) / (self.y_high - self.y_low)
        return self.top + self.height * (1 - min(max(share, 0.0), 1.0))

    def inside(self, value: float) -> bool:
        return self.y_low <= value <= self.y_high


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values (steps of 1, 2, 2.5 or 5 × 10^k) covering
    ``[low, high]``."""
    if not high > low:
        pad = abs(high) * 0.5 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if raw <= m * power * (1 + 1e-9))
    start = math.floor(low / step + 1e-9) * step
    end = math.ceil(high / step - 1e-9) * step
    return [round(start + i * step, 12) for i in range(round((end - start) / step) + 1)]


def _y_range(
    series: list[list[Point]],
    references: Sequence[ReferenceLine],
    fixed: tuple[float | None, float | None],
) -> list[float]:
    """Tick values: the points and reference lines, zero when nothing is negative; the
    intervals widen the range by at most half of it (beyond, whiskers are cut)."""
    core = [p.y for points in series for p in points if p.y is not None]
    for line in references:
        core += [v for v in (line.value, line.low, line.high) if v is not None]
    low, high = min(core), max(core)
    if low >= 0:
        low = 0.0
    span = (high - low) or abs(high) or 1.0
    lows = [p.low for points in series for p in points if p.low is not None]
    highs = [p.high for points in series for p in points if p.high is not None]
    low = min(low, max(min(lows, default=low), low - span / 2))
    high = max(high, min(max(highs, default=high), high + span / 2))
    ticks = nice_ticks(low, high)
    if fixed == (None, None):
        return ticks
    # A fixed end is the axis' end even when it is not a round tick.
    low = ticks[0] if fixed[0] is None else fixed[0]
    high = ticks[-1] if fixed[1] is None else fixed[1]
    high = high if high > low else low + 1.0
    inner = [t for t in nice_ticks(low, high) if low < t < high]
    return [low, *inner, high]


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
    reference_lines: Sequence[ReferenceLine] = (),
    markers: Sequence[Marker] = (),
    y_min: float | None = None,
    y_max: float | None = None,
    value_format: Callable[[float], str] = number,
    x_format: Callable[[str], str] | None = None,
    no_data_label: str = "No data",
    description: str | None = None,
    chart_id: str | None = None,
    show_title: bool = True,
    data_table: bool = True,
) -> Markup:
    """Several named series over ordered x values (weeks, months), with gaps where a value
    is missing, point markers whose ``<title>`` is the tooltip, optional intervals,
    horizontal reference lines (and bands) and vertical markers.

    x values of all series are merged and sorted by :func:`x_key` (ISO dates and months
    sort in time order); ``x_format`` turns a key into the axis label. ``y_min`` /
    ``y_max`` fix the axis (values beyond are drawn at the edge; the tooltip and the table
    keep them).
    """
    points = [[_as_point(p) for p in s.points] for s in series]
    xs = tuple(sorted({x_key(p.x) for ps in points for p in ps if p.y is not None}))
    chart_id = chart_id or _chart_id("line", title, [s.name for s in series], points)
    if not xs:
        return _no_data(chart_id, title, no_data_label, show_title, data_table)
    fmt_x = x_format or str
    width = 600.0
    heading, top = _title_block(title, show_title, width)
    legend, legend_height = _legend([s.name for s in series], top, width)
    ticks = _y_range(points, reference_lines, (y_min, y_max))
    tick_texts = [value_format(t) for t in ticks]
    left = 16 + max(_text_width(t, 12) for t in tick_texts) + 8
    top += legend_height + 22
    labels = [fmt_x(x) for x in xs]
    right = max(16.0, _text_width(labels[-1], 12) / 2 - 6)  # the last x label stays inside
    frame = _Frame(left, top, width - left - right, 230.0, ticks[0], ticks[-1], xs)
    body = [heading, legend, _text(16, top - 10, y_label, 12, fill=MUTED)]
    body += _y_axis(frame, ticks, tick_texts)
    body += _references(frame, reference_lines, value_format)
    body += _x_axis(frame, labels, markers)
    # Intervals of several series at one x would hide each other: spread them a little.
    spread = 5.0 if any(p.low is not None for ps in points for p in ps) else 0.0
    for index, (named, ps) in enumerate(zip(series, points, strict=True)):
        shift = (index - (len(series) - 1) / 2) * spread
        body.append(_series(frame, (index, shift), named.name, ps, (value_format, fmt_x)))
    bottom = top + frame.height + 40
    body.append(_text(frame.left + frame.width / 2, bottom, x_label, 12, text_anchor="middle"))
    body.append(
        f'<rect x="{frame.left:.1f}" y="{frame.top:.1f}" width="{frame.width:.1f}" '
        f'height="{frame.height:.1f}" fill="none" stroke="{MUTED}" stroke-width="1"/>'
    )
    summary = description or _line_summary(series, points, value_format, fmt_x)
    table = _line_table(title, x_label, series, points, xs, (value_format, fmt_x))
    return _document(
        chart_id, (width, bottom + 12), title, summary, "".join(body), table if data_table else None
    )


def _legend(names: Sequence[str], top: float, width: float) -> tuple[str, float]:
    """One entry per series (line sample with its dash and marker, then the name),
    wrapped over as many lines as the width needs; its height."""
    parts, x, line = [], 16.0, 0
    for index, name in enumerate(names):
        text = _fit(name, width - 80, 12)
        entry = 40 + _text_width(text, 12) + 16
        if x + entry > width - 16 and x > 16:
            x, line = 16.0, line + 1
        y = top + 10 + line * 20
        colour, dash = PALETTE[index % len(PALETTE)], DASHES[index % len(DASHES)]
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<g class="legend-entry"><line x1="{x:.1f}" y1="{y:.1f}" x2="{x + 32:.1f}" '
            f'y2="{y:.1f}" stroke="{colour}" stroke-width="2"{dashes}/>'
            + _marker_shape(MARKERS[index % len(MARKERS)], x + 16, y, colour, "legend-marker")
            + _text(x + 40, y + 4, text, 12)
            + "</g>"
        )
        x += entry
    return "".join(parts), (line + 1) * 20 + 4 if names else 0.0


def _y_axis(frame: _Frame, ticks: Sequence[float], texts: Sequence[str]) -> list[str]:
    parts = []
    for tick, text in zip(ticks, texts, strict=True):
        y = frame.y(tick)
        parts.append(
            f'<line x1="{frame.left:.1f}" y1="{y:.1f}" x2="{frame.left + frame.width:.1f}" '
            f'y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(_text(frame.left - 6, y + 4, text, 12, text_anchor="end"))
    return parts


def _x_axis(frame: _Frame, labels: Sequence[str], markers: Sequence[Marker]) -> list[str]:
    """Tick labels, thinned so they never overlap, and the vertical markers."""
    widest = max(_text_width(label, 12) for label in labels) + 10
    slot = frame.width / max(len(labels) - 1, 1)
    step = max(1, math.ceil(widest / slot)) if len(labels) > 1 else 1
    base = frame.top + frame.height
    parts = []
    for index, label in enumerate(labels):
        x = frame.x(index)
        parts.append(
            f'<line x1="{x:.1f}" y1="{base:.1f}" x2="{x:.1f}" y2="{base + 4:.1f}" '
            f'stroke="{MUTED}" stroke-width="1"/>'
        )
        if index % step == 0:
            parts.append(_text(x, base + 18, label, 12, text_anchor="middle"))
    for marker in markers:
        position = bisect.bisect_left(frame.xs, x_key(marker.x))
        exact = position < len(frame.xs) and frame.xs[position] == x_key(marker.x)
        if not exact and position in (0, len(frame.xs)):
            continue  # outside the chart's x values
        x = frame.x(position if exact else position - 0.5)
        parts.append(
            f'<g class="marker"><line x1="{x:.1f}" y1="{frame.top:.1f}" x2="{x:.1f}" '
            f'y2="{base:.1f}" stroke="{TEXT}" stroke-width="1.5" stroke-dasharray="2 2"/>'
            + _text(x + 4, frame.top + 12, marker.label, 11, **HALO)
            + "</g>"
        )
    return parts


def _references(
    frame: _Frame, lines: Sequence[ReferenceLine], value_format: Callable[[float], str]
) -> list[str]:
    """Bands first (under everything), then dashed lines labelled at their right end."""
    parts = []
    for line in lines:
        if line.low is not None and line.high is not None:
            top, bottom = frame.y(line.high), frame.y(line.low)
            parts.append(
                f'<rect class="band" x="{frame.left:.1f}" y="{top:.1f}" width="{frame.width:.1f}" '
                f'height="{bottom - top:.1f}" fill="#000000" fill-opacity="0.07"/>'
            )
    for line in lines:
        if not frame.inside(line.value):
            continue
        y = frame.y(line.value)
        parts.append(
            f'<g class="reference"><line x1="{frame.left:.1f}" y1="{y:.1f}" '
            f'x2="{frame.left + frame.width:.1f}" y2="{y:.1f}" stroke="{MUTED}" '
            f'stroke-width="1.5" stroke-dasharray="6 4"><title>{_esc(line.label)}: '
            f"{_esc(value_format(line.value))}</title></line>"
            + _text(frame.left + frame.width - 4, y - 4, line.label, 11, text_anchor="end", **HALO)
            + "</g>"
        )
    return parts


def _marker_shape(shape: str, x: float, y: float, colour: str, css: str, tip: str = "") -> str:
    """A point marker; ``tip`` becomes its ``<title>`` (the browser's tooltip)."""
    r = 4.5
    title = f"<title>{_esc(tip)}</title>" if tip else ""
    paths = {
        "square": f"M{x - r:.1f},{y - r:.1f}h{2 * r:.1f}v{2 * r:.1f}h{-2 * r:.1f}Z",
        "triangle": f"M{x:.1f},{y - r - 1:.1f}L{x + r + 1:.1f},{y + r:.1f}"
        f"L{x - r - 1:.1f},{y + r:.1f}Z",
        "diamond": f"M{x:.1f},{y - r - 1:.1f}L{x + r + 1:.1f},{y:.1f}L{x:.1f},{y + r + 1:.1f}"
        f"L{x - r - 1:.1f},{y:.1f}Z",
        "triangle-down": f"M{x:.1f},{y + r + 1:.1f}L{x + r + 1:.1f},{y - r:.1f}"
        f"L{x - r - 1:.1f},{y - r:.1f}Z",
        "cross": f"M{x - r:.1f},{y - r:.1f}L{x + r:.1f},{y + r:.1f}M{x - r:.1f},{y + r:.1f}"
        f"L{x + r:.1f},{y - r:.1f}",
        "plus": f"M{x - r - 1:.1f},{y:.1f}H{x + r + 1:.1f}M{x:.1f},{y - r - 1:.1f}V{y + r + 1:.1f}",
    }
    if shape == "circle":
        return (
            f'<circle class="{css}" cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{colour}">'
            f"{title}</circle>"
        )
    if shape in ("cross", "plus"):  # strokes, with a wide transparent target for the tooltip
        return (
            f'<path class="{css}" d="{paths[shape]}" stroke="{colour}" stroke-width="2.5" '
            f'fill="none" pointer-events="all">{title}</path>'
        )
    return f'<path class="{css}" d="{paths[shape]}" fill="{colour}">{title}</path>'


def _point_text(point: Point, value_format: Callable[[float], str]) -> str:
    text = value_format(point.y) if point.y is not None else "—"
    if point.low is not None and point.high is not None:
        text += f" ({value_format(point.low)}–{value_format(point.high)})"
    return f"{text}, {point.note}" if point.note else text


def _series(
    frame: _Frame,
    place: tuple[int, float],
    name: str,
    points: Sequence[Point],
    formats: tuple[Callable[[float], str], Callable[[str], str]],
) -> str:
    """The line (broken at missing values), the intervals and the markers of a series
    (``place``: its index, for colour, dash and marker, and its horizontal shift)."""
    (index, shift), (value_format, fmt_x) = place, formats
    colour, dash = PALETTE[index % len(PALETTE)], DASHES[index % len(DASHES)]
    by_x = {x_key(p.x): p for p in points}
    path, pen_down, whiskers, marks = [], False, [], []
    for position, key in enumerate(frame.xs):
        point = by_x.get(key)
        if point is None or point.y is None:
            pen_down = False
            continue
        x, y = frame.x(position) + shift, frame.y(point.y)
        path.append(f"{'L' if pen_down else 'M'}{x:.1f},{y:.1f}")
        pen_down = True
        if point.low is not None and point.high is not None:
            whiskers.append(_whisker(frame, x, point.low, point.high, colour))
        tip = f"{name} — {fmt_x(key)}: {_point_text(point, value_format)}"
        marks.append(_marker_shape(MARKERS[index % len(MARKERS)], x, y, colour, "point", tip))
    dashes = f' stroke-dasharray="{dash}"' if dash else ""
    line = (
        f'<path class="line" d="{"".join(path)}" fill="none" stroke="{colour}" '
        f'stroke-width="2"{dashes}/>'
        if len(path) > 1
        else ""
    )
    return f'<g class="series">{line}{"".join(whiskers)}{"".join(marks)}</g>'


def _whisker(frame: _Frame, x: float, low: float, high: float, colour: str) -> str:
    """An interval; an end cut by the axis range has no cap."""
    top, bottom = frame.y(high), frame.y(low)
    caps = "".join(
        f'<line x1="{x - 4:.1f}" y1="{y:.1f}" x2="{x + 4:.1f}" y2="{y:.1f}" '
        f'stroke="{colour}" stroke-width="1.5"/>'
        for y, value in ((top, high), (bottom, low))
        if frame.inside(value)
    )
    return (
        f'<g class="interval"><line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{bottom:.1f}" '
        f'stroke="{colour}" stroke-width="1.5"/>{caps}</g>'
    )


def _line_summary(
    series: Sequence[Series],
    points: list[list[Point]],
    value_format: Callable[[float], str],
    fmt_x: Callable[[str], str],
) -> str:
    """Each series from its first to its last value, in the caller's words and numbers."""
    parts = []
    for named, ps in zip(series, points, strict=True):
        known = sorted((p for p in ps if p.y is not None), key=lambda p: x_key(p.x))
        if known:
            first, last = known[0], known[-1]
            parts.append(
                f"{named.name}: {fmt_x(x_key(first.x))} {value_format(first.y)} → "
                f"{fmt_x(x_key(last.x))} {value_format(last.y)}"
            )
    return "; ".join(parts)


def _line_table(
    title: str,
    x_label: str,
    series: Sequence[Series],
    points: list[list[Point]],
    xs: Sequence[str],
    formats: tuple[Callable[[float], str], Callable[[str], str]],
) -> str:
    value_format, fmt_x = formats
    lookup = [{x_key(p.x): p for p in ps} for ps in points]
    rows = [
        [fmt_x(x)] + [_point_text(by_x[x], value_format) if x in by_x else "—" for by_x in lookup]
        for x in xs
    ]
    return _table(title, [x_label, *(s.name for s in series)], rows)


# --- bars against targets ---------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One bar (e.g. a measure's share of goods items), with an optional target tick."""

    label: str
    value: float | None
    target: float | None = None
    note: str | None = None  # added to the printed value and the table


def _as_bar(item: Any) -> Bar:
    if isinstance(item, Bar):
        bar = item
    elif isinstance(item, tuple | list):
        bar = Bar(*item)
    else:
        bar = Bar(item.label, item.value, getattr(item, "target", None))
    value = None if _missing(bar.value) else float(bar.value)
    target = None if _missing(bar.target) else float(bar.target)
    return Bar(str(bar.label), value, target, bar.note)


BAR_ROW = 48.0


def bar_chart(
    bars: Sequence[Any],
    *,
    title: str,
    value_label: str,
    target_label: str | None = None,
    value_format: Callable[[float], str] = number,
    max_value: float | None = None,
    no_data_label: str = "No data",
    description: str | None = None,
    chart_id: str | None = None,
    show_title: bool = True,
    data_table: bool = True,
) -> Markup:
    """Horizontal bars from zero, in the given order, each with its value printed and,
    where it has one, a black target tick and the target printed beside the value
    ("12.0 % · target 10.0 %"), e.g. measures' shares of goods items against the
    capacity targets, or hit rates per credit level.

    ``bars``: ``Bar``, ``(label, value[, target[, note]])`` tuples or objects with
    ``label``, ``value`` (and ``target``). Negative values are drawn as zero-length bars
    (their number is printed).
    """
    rows = [_as_bar(b) for b in bars]
    chart_id = chart_id or _chart_id("bars", title, rows)
    if not any(r.value is not None for r in rows):
        return _no_data(chart_id, title, no_data_label, show_title, data_table)
    width = 480.0
    heading, top = _title_block(title, show_title, width)
    body = [heading, _bar_legend(top, target_label, any(r.target is not None for r in rows))]
    top += 26
    texts = [_bar_text(r, target_label, value_format) for r in rows]
    room = max(_text_width(t, 12) for t in texts) + 12
    extent = max_value or max(max(r.value or 0, r.target or 0) for r in rows) or 1.0
    scale = max(width - 32 - room, 120) / extent
    for i, (row, text) in enumerate(zip(rows, texts, strict=True)):
        body.append(_bar_row(row, text, (top + i * BAR_ROW, scale, width)))
    headers = [title, value_label] + ([target_label] if target_label else [])
    table = _table(
        title,
        headers,
        [
            [r.label, value_format(r.value) if r.value is not None else "—"]
            + ([value_format(r.target) if r.target is not None else "—"] if target_label else [])
            for r in rows
        ],
    )
    summary = description or "; ".join(f"{r.label}: {t}" for r, t in zip(rows, texts, strict=True))
    height = top + len(rows) * BAR_ROW + 8
    return _document(
        chart_id, (width, height), title, summary, "".join(body), table if data_table else None
    )


def _bar_text(bar: Bar, target_label: str | None, value_format: Callable[[float], str]) -> str:
    text = value_format(bar.value) if bar.value is not None else "—"
    if bar.target is not None:
        named = f"{target_label} " if target_label else ""
        text += f" · {named}{value_format(bar.target)}"
    return f"{text} ({bar.note})" if bar.note else text


def _bar_legend(top: float, target_label: str | None, targets: bool) -> str:
    if not (targets and target_label):
        return ""
    return (
        f'<g class="legend-entry"><line x1="22" y1="{top + 2:.1f}" x2="22" y2="{top + 18:.1f}" '
        f'stroke="{TARGET}" stroke-width="2.5"/>' + _text(32, top + 14, target_label, 12) + "</g>"
    )


def _bar_row(bar: Bar, text: str, place: tuple[float, float, float]) -> str:
    """Label line, then the bar, its target tick and its printed value."""
    y, scale, width = place
    left = 16.0
    length = max((bar.value or 0.0) * scale, 0.0)
    parts = [
        '<g class="bar-row">',
        _text(left, y + 14, _fit(bar.label, width - 32, 13), 13),
        f'<rect class="bar" x="{left:.1f}" y="{y + 21:.1f}" width="{max(length, 1.0):.1f}" '
        f'height="18" fill="{BAR}"><title>{_esc(bar.label)}: {_esc(text)}</title></rect>',
    ]
    end = left + length
    if bar.target is not None:
        x = left + max(bar.target * scale, 0.0)
        parts.append(
            f'<line class="target" x1="{x:.1f}" y1="{y + 17:.1f}" x2="{x:.1f}" y2="{y + 43:.1f}" '
            f'stroke="{TARGET}" stroke-width="2.5"><title>{_esc(text)}</title></line>'
        )
        end = max(end, x)
    parts.append(_text(end + 8, y + 34.5, text, 12))
    parts.append("</g>")
    return "".join(parts)
