"""The sidebar filters shown on every page, bound to the URL.

Each filter is a widget with `bind="query-params"`: its key is the URL parameter
(`theme`, `speaker`, `district`, `file`, `from`, `to`), so a filtered view is a
link that can be shared. Streamlit validates a bound value against the widget's
options and silently drops one that is not there (`?district=不存在区`), so stale or
bogus links never raise. Charts filter by click through `set_filter` callbacks,
which assign the bound widget's session-state value before the next run.

`filtered_mask` is the one place that turns a `Filter` into a selection of reports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields, replace
from typing import Any, Callable

import numpy as np
import pandas as pd

FILTER_KEYS = ("theme", "speaker", "district", "file", "from", "to")
TEXT_KEYS = ("theme", "speaker", "district", "file")
LABELS = {"theme": "主题", "speaker": "讲话人", "district": "区域", "file": "来源文件", "from": "起始日期", "to": "截止日期"}


@dataclass(frozen=True)
class Filter:
    theme: str | None = None
    speaker: str | None = None
    district: str | None = None
    file: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    @property
    def active(self) -> bool:
        return any(getattr(self, f.name) is not None for f in fields(self))

    def key(self) -> tuple:
        """A small hashable key for caches."""
        return tuple(getattr(self, f.name) for f in fields(self))

    def replace(self, **changes: Any) -> "Filter":
        return replace(self, **changes)

    def items(self) -> list[tuple[str, str]]:
        """(URL key, value) of the active filters, in FILTER_KEYS order."""
        out = [(k, getattr(self, k)) for k in TEXT_KEYS if getattr(self, k)]
        if self.date_from:
            out.append(("from", self.date_from.isoformat()))
        if self.date_to:
            out.append(("to", self.date_to.isoformat()))
        return out

    def query_params(self) -> dict[str, str]:
        """The URL parameters that reproduce this filter (for links to other pages)."""
        return dict(self.items())

    def describe(self) -> str:
        """Plain-text summary in Chinese (escape before rendering as Markdown)."""
        if not self.active:
            return "全部报告"
        return "；".join(f"{LABELS[k]}：{v}" for k, v in self.items())


@dataclass(frozen=True)
class FilterOptions:
    themes: tuple[str, ...] = ()
    speakers: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()  # the reports' districts and the cities and provinces holding them
    files: tuple[str, ...] = ()
    date_min: dt.date | None = None
    date_max: dt.date | None = None
    homes: tuple[str, ...] = ()  # the reports' own districts, most frequent first
    # each option of `districts` -> the divisions it lies in, nearest first (济宁市 -> 山东省)
    enclosing: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, hash=False)


def _by_frequency(values: pd.Series) -> tuple[str, ...]:
    """Distinct non-empty values, most frequent first, ties by code point."""
    s = values.dropna().astype(str)
    s = s[s.str.len() > 0]
    if s.empty:
        return ()
    counts = s.value_counts()
    order = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return tuple(k for k, _ in order)


def filter_options(reports: pd.DataFrame, report_themes: pd.DataFrame) -> FilterOptions:
    """Choices for every filter, from the whole corpus (not narrowed by other filters,
    so a shared link stays valid whatever else is selected)."""
    speakers = reports[["report_id", "speakers"]].explode("speakers")["speakers"] if len(reports) else pd.Series(dtype=object)
    lo = reports["date_lo"].dropna() if "date_lo" in reports else pd.Series(dtype="datetime64[ns]")
    hi = reports["date_hi"].dropna() if "date_hi" in reports else pd.Series(dtype="datetime64[ns]")
    return FilterOptions(
        themes=_by_frequency(report_themes["theme"]) if len(report_themes) else (),
        speakers=_by_frequency(speakers),
        # a district, and the cities and provinces holding reports' districts (山东省 selects all of them)
        districts=_by_frequency(reports["regions"].explode()) if len(reports) else (),
        homes=_by_frequency(reports["district"]) if len(reports) else (),
        enclosing={r: chain[i + 1 :] for chain in set(reports["regions"]) for i, r in enumerate(chain)} if len(reports) else {},
        files=tuple(sorted(set(reports["source_file"].dropna()))) if len(reports) else (),
        # whole years, so a link with a date a little outside the corpus still applies
        date_min=dt.date(lo.min().year, 1, 1) if len(lo) else None,
        date_max=dt.date(hi.max().year, 12, 31) if len(hi) else None,
    )


def filtered_mask(reports: pd.DataFrame, themes: pd.DataFrame, flt: Filter) -> np.ndarray:
    """Which rows of `reports` match every active filter (a boolean array).

    - district matches the report's district or a division it lies in (`reports.regions`:
      济宁市 keeps the reports of 济宁高新区 and 任城区 as well);
    - speaker matches the report's byline speaker OR any paragraph speaker
      (`reports.speakers`, a tuple per report), since meeting reports quote several leaders;
    - theme keeps reports with at least one paragraph carrying it (`themes`: rix, the
      report's row in `reports`, and theme);
    - a date range keeps reports whose (possibly partial) date overlaps it: `2019-05`
      is the whole of May; undated reports drop out once a date bound is set.
    """
    mask = np.ones(len(reports), dtype=bool)
    if reports.empty:
        return mask
    if flt.district:  # the district or a division it lies in
        where = flt.district
        mask &= np.fromiter((where in r for r in reports["regions"]), dtype=bool, count=len(reports))
    if flt.file:
        mask &= (reports["source_file"] == flt.file).to_numpy(dtype=bool, na_value=False)
    if flt.speaker:
        who = flt.speaker
        mask &= np.fromiter((s is not None and who in s for s in reports["speakers"]), dtype=bool, count=len(reports))
    if flt.theme:  # `themes` carries each row's report position (rix)
        with_theme = np.zeros(len(reports), dtype=bool)
        with_theme[themes["rix"].to_numpy()[(themes["theme"] == flt.theme).to_numpy()]] = True
        mask &= with_theme
    if flt.date_from is not None:
        mask &= (reports["date_hi"] >= pd.Timestamp(flt.date_from)).fillna(False).to_numpy(dtype=bool)
    if flt.date_to is not None:
        mask &= (reports["date_lo"] <= pd.Timestamp(flt.date_to)).fillna(False).to_numpy(dtype=bool)
    return mask


# --- Streamlit side ---------------------------------------------------------------------------


def clear_filters() -> None:
    """Callback: reset every filter (bound widgets are changed through session state)."""
    import streamlit as st

    for key in FILTER_KEYS:
        if key in st.session_state:
            st.session_state[key] = None


def set_filter(key: str, value: str | None) -> None:
    """Set one filter from code (a click on a chart). Call from a widget callback, or
    before the sidebar is drawn: a bound widget's value can only change through
    session state, and only before the widget is created in a run."""
    import streamlit as st

    st.session_state[key] = value


def selection_callback(apply: Callable[..., Any], chart_key: str, *args: Any) -> Callable[[], None]:
    """An `on_select` callback for a plotly chart: `apply(session_state, chart_key, *args)`
    (`apply_chart_selection`, `apply_cell_selection`)."""

    def _cb() -> None:
        import streamlit as st

        apply(st.session_state, chart_key, *args)

    return _cb


def _clicked_point(state: Any, chart_key: str) -> dict | None:
    """The first point of the chart's selection event in `state` (session state), if any."""
    event = state.get(chart_key) if hasattr(state, "get") else None
    try:
        return event["selection"]["points"][0]
    except (KeyError, TypeError, IndexError):
        return None


def apply_chart_selection(state: Any, chart_key: str, filter_key: str, options: tuple[str, ...]) -> str | None:
    """For a chart whose points carry the filter value as `customdata[0]` (or as the
    category on the y / x axis): set the filter `filter_key` to the clicked value when it
    is one of `options`. Returns the value set."""
    point = _clicked_point(state, chart_key)
    value = None if point is None else picked_value(point)
    if value is None or value not in options:
        return None
    state[filter_key] = value
    return value


def apply_cell_selection(state: Any, chart_key: str, filters: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, str]:
    """For a chart whose points carry several filter values as customdata (a heatmap
    cell: its row's speaker or district, its column's theme): set filter k to
    `customdata[k]` for each (filter key, its options) in `filters`, when the value is
    one of the options. Returns what was set."""
    point = _clicked_point(state, chart_key)
    custom = None if point is None else point.get("customdata")
    if not isinstance(custom, (list, tuple)):
        return {}
    chosen = {key: str(value) for (key, options), value in zip(filters, custom) if str(value) in options}
    for key, value in chosen.items():
        state[key] = value
    return chosen


def apply_year_selection(state: Any, chart_key: str, date_min: dt.date | None, date_max: dt.date | None) -> str | None:
    """For a chart whose points carry a year as `customdata[0]` (charts.year_bars): set
    the date filters to that whole year, within the date inputs' bounds. Returns the year."""
    point = _clicked_point(state, chart_key)
    value = None if point is None else picked_value(point)
    if value is None or not value.isdigit() or date_min is None or date_max is None:
        return None
    year = int(value)
    start, end = max(dt.date(year, 1, 1), date_min), min(dt.date(year, 12, 31), date_max)
    if start > end:
        return None
    state["from"], state["to"] = start, end
    return value


def picked_value(point: dict) -> str | None:
    custom = point.get("customdata")
    if isinstance(custom, (list, tuple)) and custom:
        return str(custom[0])
    if isinstance(custom, str):
        return custom
    for axis in ("y", "x", "label"):
        if isinstance(point.get(axis), str):
            return point[axis]
    return None


def render_sidebar(opts: FilterOptions, container: Any = None) -> Filter:
    """Draw the filters (in `container`, default the sidebar) and return the current Filter."""
    import streamlit as st

    sb = container if container is not None else st.sidebar
    sb.subheader("筛选")
    theme = sb.selectbox("主题", opts.themes, index=None, key="theme", bind="query-params", placeholder="全部主题")
    speaker = sb.selectbox(
        "讲话人", opts.speakers, index=None, key="speaker", bind="query-params", placeholder="全部讲话人",
        help="署名作者，或会议报道中被引述的领导",
    )
    district = sb.selectbox("区域", opts.districts, index=None, key="district", bind="query-params", placeholder="全部区域",
                            help="报告所属的区县、园区；选城市或省份时包括其下辖区县的报告")
    file = sb.selectbox("来源文件", opts.files, index=None, key="file", bind="query-params", placeholder="全部文件")
    date_from = date_to = None
    if opts.date_min and opts.date_max:
        c1, c2 = sb.columns(2)
        bounds = dict(min_value=opts.date_min, max_value=opts.date_max, format="YYYY-MM-DD")
        date_from = c1.date_input("起始日期", value=None, key="from", bind="query-params", **bounds)
        date_to = c2.date_input("截止日期", value=None, key="to", bind="query-params", **bounds)
    flt = Filter(theme, speaker, district, file, date_from, date_to)
    if flt.active:
        sb.button("清除筛选", on_click=clear_filters, icon=":material/filter_alt_off:", width="stretch")
    return flt
