"""Filter -> report ids, filter options, chart clicks, partial dates."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard.corpus import date_bounds
from dashboard.filters import Filter, apply_cell_selection, apply_chart_selection, filter_options, filtered_mask, picked_value


def _reports() -> pd.DataFrame:
    rows = [
        ("r1", "济宁高新区", "李兵", ("李兵",), "a.txt", "2019-05-03"),
        ("r2", "济宁高新区", "蒙婷", ("蒙婷",), "a.txt", "2019-05"),
        ("r3", "山亭区", "", ("毕志伟", "孙伟"), "b.txt", "2020"),
        ("r4", "山亭区", "", (), "b.txt", ""),
    ]
    df = pd.DataFrame(rows, columns=["report_id", "district", "speaker", "speakers", "source_file", "date"])
    df["regions"] = [(d,) for d in df["district"]]  # the district and the divisions it lies in
    bounds = [date_bounds(d) for d in df["date"]]
    df["date_lo"] = pd.to_datetime(pd.Series([b[0] for b in bounds], dtype=object))
    df["date_hi"] = pd.to_datetime(pd.Series([b[1] for b in bounds], dtype=object))
    return df


THEMES = pd.DataFrame({"report_id": ["r1", "r3", "r3"], "rix": [0, 2, 2], "theme": ["科技创新", "科技创新", "产业发展"]})


@pytest.mark.parametrize(
    "flt, expected",
    [
        (Filter(), ["r1", "r2", "r3", "r4"]),
        (Filter(district="济宁高新区"), ["r1", "r2"]),
        (Filter(speaker="毕志伟"), ["r3"]),  # a paragraph speaker of a meeting report
        (Filter(speaker="李兵"), ["r1"]),
        (Filter(theme="科技创新"), ["r1", "r3"]),
        (Filter(theme="科技创新", district="山亭区"), ["r3"]),
        (Filter(file="b.txt"), ["r3", "r4"]),
        (Filter(date_from=dt.date(2019, 5, 10)), ["r2", "r3"]),  # 2019-05 overlaps; undated drops out
        (Filter(date_to=dt.date(2019, 5, 1)), ["r2"]),
        (Filter(date_from=dt.date(2020, 6, 1), date_to=dt.date(2020, 6, 30)), ["r3"]),
        (Filter(district="不存在区"), []),
    ],
)
def test_filtered_mask(flt, expected):
    reports = _reports()
    assert reports["report_id"][filtered_mask(reports, THEMES, flt)].tolist() == expected


def test_filter_options_most_frequent_first_and_whole_years():
    opts = filter_options(_reports(), THEMES)
    assert opts.districts == ("山亭区", "济宁高新区")  # tie -> code point order
    assert set(opts.speakers) == {"李兵", "蒙婷", "毕志伟", "孙伟"}
    assert opts.themes[0] == "科技创新"
    assert opts.date_min == dt.date(2019, 1, 1) and opts.date_max == dt.date(2020, 12, 31)


def test_a_city_or_province_selects_the_districts_lying_in_it():
    reports = _reports()
    reports["regions"] = [("济宁高新区", "济宁市", "山东省"), ("济宁高新区", "济宁市", "山东省"), ("山亭区", "枣庄市", "山东省"), ()]
    ids = lambda flt: reports["report_id"][filtered_mask(reports, THEMES, flt)].tolist()  # noqa: E731
    assert ids(Filter(district="济宁市")) == ["r1", "r2"]
    assert ids(Filter(district="山东省")) == ["r1", "r2", "r3"]  # r4 names no district
    assert ids(Filter(district="山亭区")) == ["r3"]
    # the options: every district and division holding one, most reports first
    opts = filter_options(reports, THEMES)
    assert opts.districts == ("山东省", "济宁市", "济宁高新区", "山亭区", "枣庄市")
    assert opts.homes == ("山亭区", "济宁高新区")  # the reports' own districts (a tie: code point order)
    assert opts.enclosing["济宁市"] == ("山东省",) and opts.enclosing["山亭区"] == ("枣庄市", "山东省")
    assert opts.enclosing["山东省"] == ()


def test_filter_query_params_and_describe():
    f = Filter(theme="科技创新", district="山亭区", date_from=dt.date(2019, 1, 2))
    assert f.query_params() == {"theme": "科技创新", "district": "山亭区", "from": "2019-01-02"}
    assert "区域：山亭区" in f.describe()
    assert Filter().describe() == "全部报告" and not Filter().active


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2019-05-03", (dt.date(2019, 5, 3), dt.date(2019, 5, 3))),
        ("2019-02", (dt.date(2019, 2, 1), dt.date(2019, 2, 28))),
        ("2019-12", (dt.date(2019, 12, 1), dt.date(2019, 12, 31))),
        ("2019", (dt.date(2019, 1, 1), dt.date(2019, 12, 31))),
        ("", (None, None)),
        ("2019-13-01", (None, None)),
        ("garbage", (None, None)),
    ],
)
def test_date_bounds(value, expected):
    assert date_bounds(value) == expected


def test_chart_click_sets_only_valid_values():
    state = {"chart": {"selection": {"points": [{"customdata": ["山亭区", "3"], "y": "山亭区"}]}}}
    assert apply_chart_selection(state, "chart", "district", ("山亭区",)) == "山亭区"
    assert state["district"] == "山亭区"
    state = {"chart": {"selection": {"points": [{"customdata": ["伪造区"]}]}}}
    assert apply_chart_selection(state, "chart", "district", ("山亭区",)) is None and "district" not in state
    assert apply_chart_selection({}, "chart", "district", ("山亭区",)) is None
    assert apply_chart_selection({"chart": {"selection": {"points": []}}}, "chart", "district", ()) is None


def test_heatmap_cell_click_sets_its_row_and_column_filters():
    filters = (("district", ("山亭区", "济宁高新区")), ("theme", ("产业发展", "科技创新")))
    state = {"heat": {"selection": {"points": [{"customdata": ["山亭区", "科技创新"], "x": "科技创新"}]}}}
    assert apply_cell_selection(state, "heat", filters) == {"district": "山亭区", "theme": "科技创新"}
    assert state["district"] == "山亭区" and state["theme"] == "科技创新"
    state = {"heat": {"selection": {"points": [{"customdata": ["伪造区", "产业发展"]}]}}}
    assert apply_cell_selection(state, "heat", filters) == {"theme": "产业发展"} and "district" not in state
    assert apply_cell_selection({"heat": {"selection": {"points": []}}}, "heat", filters) == {}
    assert apply_cell_selection({"heat": {"selection": {"points": [{"x": 1}]}}}, "heat", filters) == {}
    assert apply_cell_selection({}, "heat", filters) == {}


def test_heatmap_cells_carry_their_row_and_column():
    import pandas as pd

    from dashboard.charts import heatmap

    m = pd.DataFrame([[3, 0], [1, 2]], index=pd.Index(["<b>甲</b>", "乙"], name="speaker"), columns=["产业发展", "科技创新"])
    fig = heatmap(m)
    cells = next(t for t in fig.data if t.type == "scatter")
    assert [list(c) for c in cells.customdata] == [["<b>甲</b>", "产业发展"], ["<b>甲</b>", "科技创新"],
                                                   ["乙", "产业发展"], ["乙", "科技创新"]]
    assert list(cells.y) == ["‹b›甲‹/b›"] * 2 + ["乙"] * 2 and list(cells.x) == ["产业发展", "科技创新"] * 2
    assert list(cells.text) == ["3", "0", "1", "2"]
    assert next(t for t in fig.data if t.type == "heatmap").hoverinfo == "skip"


def test_picked_value_fallbacks():
    assert picked_value({"y": "产业发展", "x": 3}) == "产业发展"
    assert picked_value({"customdata": "x"}) == "x"
    assert picked_value({"x": 1}) is None


def test_a_year_bar_click_sets_the_date_range_to_that_year():
    from dashboard.filters import apply_year_selection

    lo, hi = dt.date(1954, 1, 1), dt.date(2026, 12, 31)
    state = {"ov_years": {"selection": {"points": [{"x": 1985, "customdata": ["1985"]}]}}}
    assert apply_year_selection(state, "ov_years", lo, hi) == "1985"
    assert (state["from"], state["to"]) == (dt.date(1985, 1, 1), dt.date(1985, 12, 31))
    # clipped to the date inputs' bounds
    state = {"ov_years": {"selection": {"points": [{"customdata": ["2026"]}]}}}
    apply_year_selection(state, "ov_years", lo, dt.date(2026, 6, 30))
    assert (state["from"], state["to"]) == (dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    for event in ({}, {"selection": {"points": []}}, {"selection": {"points": [{"customdata": ["全国"]}]}}):
        state = {"ov_years": event}
        assert apply_year_selection(state, "ov_years", lo, hi) is None and "from" not in state
    state = {"ov_years": {"selection": {"points": [{"customdata": ["1900"]}]}}}
    assert apply_year_selection(state, "ov_years", lo, hi) is None  # outside the corpus's dates


def test_year_bars_carry_their_year():
    from dashboard import charts

    fig = charts.year_bars(pd.DataFrame({"year": [1978, 1990], "n_reports": [3, 1]}), selected=1990)
    bar = fig.data[0]
    assert list(bar.x) == [1978, 1990] and [c[0] for c in bar.customdata] == ["1978", "1990"]
    assert bar.marker.color[1] != bar.marker.color[0]
