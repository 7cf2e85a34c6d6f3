"""The workbench's SVG charts: well-formed, escaped, accessible, and drawing what they say."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import jinja2
import pytest
from markupsafe import Markup

from serving.workbench.charts import (
    BAR,
    LOWERS,
    PALETTE,
    RAISES,
    Bar,
    Marker,
    Point,
    ReferenceLine,
    Series,
    bar_chart,
    contribution_chart,
    line_chart,
    nice_ticks,
    number,
    percent,
    signed,
    x_key,
)

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script> & Co'

CONTRIBUTIONS = [
    ("Unit value vs reference", "0.31", -0.42),
    ("Origin country", "VN", 0.84),
    ("Consignee's revenue findings rate, 365 d", "0.12", 0.51),
    ("Days since the consignee's first declaration", "12", -0.05),
]
WEEKS = [f"2026-03-{d:02d}" for d in (2, 9, 16, 23, 30)]


def parse(markup: str) -> ET.Element:
    """The chart parsed as XML (a failure here is a malformed chart)."""
    return ET.fromstring(str(markup))


def svg_of(root: ET.Element) -> ET.Element:
    return root if root.tag == f"{SVG}svg" else root.find(f"{SVG}svg")


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def by_class(root: ET.Element, css: str) -> list[ET.Element]:
    return [e for e in root.iter() if css in (e.get("class") or "").split()]


def contrast_on_white(colour: str) -> float:
    """WCAG contrast ratio of a #rrggbb colour against white."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return 1.05 / (luminance + 0.05)


def all_charts(label: str = "Origin country") -> list[Markup]:
    return [
        contribution_chart(
            [(label, "VN", 0.8), ("Unit value", "0.3", -0.2)],
            title=label,
            base_label=label,
            unit_label="log-odds",
        ),
        line_chart(
            [Series(label, [(w, 0.1 * i) for i, w in enumerate(WEEKS)])],
            title=label,
            x_label=label,
            y_label=label,
            reference_lines=[ReferenceLine(0.25, label)],
            markers=[Marker(WEEKS[2], label)],
        ),
        bar_chart([Bar(label, 0.12, 0.1)], title=label, value_label=label, target_label=label),
    ]


@pytest.mark.parametrize("index", range(3))
def test_every_chart_is_well_formed_accessible_and_scales(index):
    chart = all_charts()[index]
    assert isinstance(chart, Markup)
    root = parse(chart)
    assert root.tag == "figure"
    svg = svg_of(root)
    assert svg.get("role") == "img" and svg.get("width") == "100%"
    assert svg.get("viewBox").startswith("0 0 ") and svg.get("height") is None
    title_id, desc_id = svg.get("aria-labelledby").split()
    assert svg.find(f"{SVG}title").get("id") == title_id
    assert svg.find(f"{SVG}desc").get("id") == desc_id and svg.find(f"{SVG}desc").text
    table = root.find("table")
    assert table.get("class") == "visually-hidden" and table.find("caption") is not None
    assert not any(e.get("style") for e in root.iter())  # nothing a strict CSP would block


def test_jinja_inserts_a_chart_unescaped_while_the_chart_escaped_its_own_text():
    chart = all_charts(HOSTILE)[0]
    page = jinja2.Environment(autoescape=True).from_string("<div>{{ chart }}</div>")
    assert page.render(chart=chart) == f"<div>{chart}</div>"
    assert "<script" not in str(chart)


@pytest.mark.parametrize("index", range(3))
def test_text_in_labels_is_escaped_everywhere(index):
    chart = all_charts(HOSTILE)[index]
    assert "<script" not in str(chart) and "&lt;script&gt;" in str(chart)
    root = parse(chart)
    assert not [e for e in root.iter() if e.tag.endswith("script")]
    shown = texts(root) + ["".join(e.itertext()) for e in root.iter("th")]
    assert any(HOSTILE in t for t in shown)  # readable as written, not interpreted


def test_characters_xml_cannot_hold_are_dropped_not_breaking_the_chart():
    chart = contribution_chart(
        [("bad\x00label\x1b", "v\x0c", 0.5)], title="t\x01", base_label="b", unit_label="u"
    )
    assert "badlabel = v" in texts(parse(chart))


def test_bare_svg_without_the_table():
    chart = line_chart(
        [Series("a", [("2026-01", 1.0)])], title="t", x_label="x", y_label="y", data_table=False
    )
    root = parse(chart)
    assert root.tag == f"{SVG}svg" and root.find("table") is None


# --- contributions ----------------------------------------------------------------------------


def test_contributions_are_sorted_by_magnitude_with_their_signed_numbers():
    root = parse(
        contribution_chart(CONTRIBUTIONS, title="Revenue", base_label="average", unit_label="lo")
    )
    rows = by_class(root, "contribution")
    assert len(rows) == len(by_class(root, "bar")) == 4
    labels = [texts(row)[0] for row in rows]
    assert labels == [
        "Origin country = VN",
        "Consignee's revenue findings rate, 365 d = 0.12",
        "Unit value vs reference = 0.31",
        "Days since the consignee's first declaration = 12",
    ]
    numbers = [texts(row)[1] for row in rows]
    assert numbers == ["+0.84", "+0.51", "−0.42", "−0.05"]
    assert [r.get("class").split()[1] for r in rows] == ["raises", "raises", "lowers", "lowers"]


def test_negative_contributions_are_drawn_left_of_the_axis_in_the_other_colour():
    root = parse(
        contribution_chart(CONTRIBUTIONS, title="Revenue", base_label="average", unit_label="lo")
    )
    axis = {float(line.get("x1")) for line in root.iter(f"{SVG}line")}
    assert len(axis) == 1
    centre = axis.pop()
    widths = {}
    for row in by_class(root, "contribution"):
        bar = by_class(row, "bar")[0]
        x, width = float(bar.get("x")), float(bar.get("width"))
        if "raises" in row.get("class"):
            assert x == pytest.approx(centre) and bar.get("fill") == RAISES
        else:
            assert x + width == pytest.approx(centre, abs=0.11) and bar.get("fill") == LOWERS
        widths[texts(row)[1]] = width
        assert texts(row)[1] in bar.find(f"{SVG}title").text  # tooltip has the number
    # lengths are proportional to the contributions
    assert widths["+0.84"] / widths["−0.42"] == pytest.approx(2.0, rel=0.01)


def test_limit_keeps_the_largest_and_reasons_are_accepted_as_objects():
    class Reason:  # the shape of models.decision.Reason
        def __init__(self, label, value, contribution):
            self.label, self.value, self.contribution = label, value, contribution

    chart = contribution_chart(
        [Reason(*c) for c in CONTRIBUTIONS], title="t", base_label="b", unit_label="u", limit=2
    )
    rows = by_class(parse(chart), "contribution")
    assert [texts(r)[1] for r in rows] == ["+0.84", "+0.51"]


def test_contributions_table_lists_every_row_and_its_direction():
    root = parse(
        contribution_chart(
            CONTRIBUTIONS,
            title="t",
            base_label="b",
            unit_label="log-odds",
            raises_label="升高风险",
            lowers_label="降低风险",
        )
    )
    rows = root.find("table").find("tbody").findall("tr")
    assert len(rows) == 4
    assert ["".join(c.itertext()) for c in rows[2]] == [
        "Unit value vs reference = 0.31",
        "−0.42",
        "降低风险",
    ]
    assert "← 降低风险" in texts(root) and "升高风险 →" in texts(root)


# --- lines --------------------------------------------------------------------------------


def test_line_chart_draws_one_marker_per_value_and_breaks_the_line_at_gaps():
    psi = Series(
        "route", [(w, v) for w, v in zip(WEEKS, [0.02, 0.03, None, 0.5, 0.6], strict=True)]
    )
    other = Series("unit value", [(w, 0.05) for w in WEEKS] + [("2026-04-06", math.nan)])
    root = parse(
        line_chart(
            [psi, other],
            title="PSI",
            x_label="week",
            y_label="PSI",
            reference_lines=[ReferenceLine(0.25, "alert"), ReferenceLine(0.1, "warning")],
        )
    )
    series = by_class(root, "series")
    assert [len(by_class(s, "point")) for s in series] == [4, 5]
    route_path = by_class(series[0], "line")[0].get("d")
    assert route_path.count("M") == 2 and route_path.count("L") == 2  # broken at the gap
    assert by_class(series[1], "line")[0].get("d").count("M") == 1
    assert len(by_class(root, "reference")) == 2
    ticks = [t for t in texts(root) if t.startswith("2026-")]
    assert set(ticks) <= set(WEEKS) and "2026-04-06" not in ticks  # NaN adds no x value
    # every point tells its series, x and value in its tooltip
    tips = [p.find(f"{SVG}title").text for p in by_class(series[0], "point")]
    assert tips[0] == "route — 2026-03-02: 0.02"


def test_series_differ_by_dash_and_marker_shape_not_only_colour():
    root = parse(
        line_chart(
            [Series(f"s{i}", [(w, i + 0.1) for w in WEEKS]) for i in range(3)],
            title="t",
            x_label="x",
            y_label="y",
        )
    )
    lines = [by_class(s, "line")[0] for s in by_class(root, "series")]
    assert len({line.get("stroke-dasharray") for line in lines}) == 3
    shapes = [
        (by_class(s, "point")[0].tag, by_class(s, "point")[0].get("d", "")[:1])
        for s in by_class(root, "series")
    ]
    assert shapes[0][0] == f"{SVG}circle" and shapes[1][0] == shapes[2][0] == f"{SVG}path"
    legend = by_class(root, "legend-entry")
    assert [texts(e)[0] for e in legend] == ["s0", "s1", "s2"]


def test_x_values_of_all_series_are_merged_in_time_order():
    a = Series("a", [("2026-03", 1.0), ("2026-01", 2.0)])
    b = Series("b", [("2026-02", 3.0)])
    root = parse(line_chart([a, b], title="t", x_label="month", y_label="y"))
    rows = root.find("table").find("tbody").findall("tr")
    assert [["".join(c.itertext()) for c in row] for row in rows] == [
        ["2026-01", "2", "—"],
        ["2026-02", "—", "3"],
        ["2026-03", "1", "—"],
    ]


def test_band_and_intervals_are_drawn_and_clipped_whiskers_lose_their_cap():
    oe = Series(
        "revenue",
        [
            Point("2026-01", 1.0, 0.8, 1.3, "37 / 37.0"),
            Point("2026-02", 0.9, 0.2, 40.0),  # a tiny month: its upper end is far off
        ],
    )
    root = parse(
        line_chart(
            [oe],
            title="O/E",
            x_label="month",
            y_label="O/E",
            reference_lines=[ReferenceLine(1.0, "O/E = 1", 0.8, 1.25)],
        )
    )
    assert len(by_class(root, "band")) == 1
    whiskers = by_class(root, "interval")
    assert [len(w.findall(f"{SVG}line")) for w in whiskers] == [3, 2]
    tips = [p.find(f"{SVG}title").text for p in by_class(root, "point")]
    assert tips == ["revenue — 2026-01: 1 (0.8–1.3), 37 / 37.0", "revenue — 2026-02: 0.9 (0.2–40)"]
    assert max(float(t) for t in texts(root) if t.replace(".", "").isdigit()) < 40


def test_markers_sit_on_or_between_x_values_and_outside_ones_are_left_out():
    root = parse(
        line_chart(
            [Series("a", [(w, 1.0) for w in WEEKS])],
            title="t",
            x_label="x",
            y_label="y",
            markers=[
                Marker("2026-03-16", "shift"),
                Marker("2026-03-20", "promoted"),
                Marker("2027-01-01", "later"),
            ],
        )
    )
    marks = by_class(root, "marker")
    assert [texts(m)[0] for m in marks] == ["shift", "promoted"]
    points = [float(p.get("cx")) for p in by_class(root, "point")]
    xs = [float(m.find(f"{SVG}line").get("x1")) for m in marks]
    assert xs[0] == pytest.approx(points[2], abs=0.11)
    assert xs[1] == pytest.approx((points[2] + points[3]) / 2, abs=0.11)


def test_fixed_axis_ends_are_kept():
    root = parse(
        line_chart(
            [Series("a", [("2026-01", 0.5), ("2026-02", 7.0)])],
            title="t",
            x_label="x",
            y_label="y",
            y_min=0,
            y_max=3,
        )
    )
    assert {"0", "3"} <= set(texts(root))
    tip = by_class(root, "point")[1].find(f"{SVG}title").text
    assert tip.endswith(": 7")  # drawn at the edge, told as it is


def test_x_keys_and_helpers():
    import datetime as dt

    import pandas as pd

    assert x_key(pd.Timestamp("2026-03-02")) == x_key("2026-03-02 00:00:00") == "2026-03-02"
    assert x_key(dt.date(2026, 3, 2)) == "2026-03-02" and x_key("2026-03") == "2026-03"
    assert nice_ticks(0, 0.83) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(1, 1)[0] < 1 < nice_ticks(1, 1)[-1]  # a constant still gets an axis
    assert number(1234.6) == "1,235" and number(-0.04213) == "−0.0421" and number(None) == "—"
    assert signed(0.844) == "+0.84" and signed(-0.3) == "−0.30" and signed(0.001) == "0.00"
    assert percent(0.125) == "12.5 %" and percent(float("nan")) == "—"


# --- bars ----------------------------------------------------------------------------------


def test_bar_chart_draws_each_bar_with_its_target_tick_and_numbers():
    bars = [
        Bar("Document check", 0.12, 0.10),
        Bar("Manual inspection", 0.03, 0.04),
        ("Laboratory sampling", 0.008),
    ]
    root = parse(
        bar_chart(
            bars, title="Measures", value_label="share", target_label="target", value_format=percent
        )
    )
    rects = by_class(root, "bar")
    assert len(rects) == 3 and {r.get("fill") for r in rects} == {BAR}
    assert len(by_class(root, "target")) == 2
    assert "12.0 % · target 10.0 %" in texts(root) and "0.8 %" in texts(root)
    widths = [float(r.get("width")) for r in rects]
    assert widths[0] / widths[1] == pytest.approx(4.0, rel=0.01)
    target = float(by_class(root, "target")[0].get("x1")) - float(rects[0].get("x"))
    assert target / widths[0] == pytest.approx(10 / 12, rel=0.01)  # same scale as the bar


# --- empty input and colours --------------------------------------------------------------


@pytest.mark.parametrize(
    "draw",
    [
        lambda: contribution_chart(
            [], title="t", base_label="b", unit_label="u", no_data_label="无数据"
        ),
        lambda: line_chart([], title="t", x_label="x", y_label="y", no_data_label="无数据"),
        lambda: line_chart(
            [Series("a", [("2026-01", None)])],
            title="t",
            x_label="x",
            y_label="y",
            no_data_label="无数据",
        ),
        lambda: bar_chart([Bar("a", None)], title="t", value_label="v", no_data_label="无数据"),
    ],
)
def test_no_data_is_said_not_crashed(draw):
    root = parse(draw())
    assert "无数据" in texts(root)
    assert not by_class(root, "point") and not by_class(root, "bar")


def test_zero_contributions_are_drawn_without_dividing_by_zero():
    root = parse(contribution_chart([("a", "1", 0.0)], title="t", base_label="b", unit_label="u"))
    assert texts(by_class(root, "contribution")[0])[1] == "0.00"


def test_one_value_is_enough():
    root = parse(line_chart([Series("a", [("2026-01", 0.0)])], title="t", x_label="x", y_label="y"))
    assert len(by_class(root, "point")) == 1


def test_colours_have_at_least_3_to_1_contrast_on_white():
    for colour in (*PALETTE, RAISES, LOWERS, BAR):
        assert contrast_on_white(colour) >= 3.0, colour
