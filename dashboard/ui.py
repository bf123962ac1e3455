"""Small Streamlit building blocks shared by the pages (presentation only).

Everything user-supplied that reaches Markdown goes through `dashboard.markup`;
tables go to `st.dataframe`, which renders cells as text.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Sequence

import pandas as pd
import streamlit as st

from dashboard import data, export
from dashboard.context import Ctx
from dashboard.corpus import DATE_SOURCE_LABELS
from dashboard.filters import apply_cell_selection, apply_chart_selection, apply_year_selection, selection_callback
from dashboard.markup import escape_inline

MAX_TABLE_ROWS = 5000  # rows sent to the browser in one table; downloads hold everything
PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"], "locale": "zh-CN"}


def page_header(ctx: Ctx, title: str, *, needs_reports: bool = True) -> bool:
    """The page title and the filter caption; False (after saying so) when the filter
    selects no report and the page has nothing to show."""
    st.title(title)
    filter_caption(ctx)
    if needs_reports and not ctx.n_reports:
        no_data()
        return False
    return True


def filter_caption(ctx: Ctx, n: int | None = None) -> None:
    n = ctx.n_reports if n is None else n
    st.caption(f":material/filter_alt: {escape_inline(ctx.flt.describe())} · **{n}** 篇报告")


_BAD_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def safe_filename(stem: str) -> str:
    """A file name stem without path separators or characters Windows refuses."""
    return _BAD_FILENAME.sub("_", str(stem)).strip(" .")[:80] or "download"


def downloads(df: pd.DataFrame | Callable[[], pd.DataFrame], stem: str, key: str, sheet: str = "数据",
              empty: bool | None = None) -> None:
    """CSV (UTF-8 with BOM) and Excel buttons for `df`; the files are made on click.

    `df` may be a function making the frame (then say whether it is `empty`): a session
    keeps the download's function until its next run, so a large export (all targets of
    a big store: hundreds of MB) is better made on click than held by every session."""
    stem = safe_filename(stem)
    make = df if callable(df) else (lambda: df)
    disabled = bool(empty) if callable(df) else df.empty
    row = st.container(horizontal=True, gap="small")
    row.download_button(
        "下载 CSV", data=lambda: export.to_csv_bytes(make()), file_name=f"{stem}.csv", mime="text/csv",
        key=f"{key}_csv", icon=":material/download:", on_click="ignore", disabled=disabled,
    )
    row.download_button(
        "下载 Excel", data=lambda: export.to_excel_bytes(make(), sheet_name=sheet), file_name=f"{stem}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx", icon=":material/table:", on_click="ignore", disabled=disabled,
    )


def report_link(ctx: Ctx, report_id: str, label: str = "打开报告", key_hint: str = "") -> None:
    """A link to the reader page for one report, keeping the current filters in the URL."""
    st.page_link(ctx.page("reader"), label=label, icon=":material/article:", query_params=ctx.link_params(report=report_id))


def clickable_chart(fig: Any, key: str, filter_key: str | None = None, options: Sequence[str] = ()) -> None:
    """A plotly chart; with `filter_key`, clicking a bar sets that sidebar filter."""
    _chart(fig, key, selection_callback(apply_chart_selection, key, filter_key, tuple(options)) if filter_key else None)


def clickable_cells(fig: Any, key: str, filters: Sequence[tuple[str, Sequence[str]]]) -> None:
    """A plotly heatmap (charts.heatmap) whose cells set sidebar filters when clicked:
    `filters` are (filter key, its options) for the row and the column."""
    _chart(fig, key, selection_callback(apply_cell_selection, key, tuple((k, tuple(o)) for k, o in filters)))


def clickable_years(fig: Any, key: str, date_min: Any, date_max: Any) -> None:
    """A chart of years (charts.year_bars) whose bars set the date filters to that year."""
    _chart(fig, key, selection_callback(apply_year_selection, key, date_min, date_max))


def _chart(fig: Any, key: str, on_select: Callable[[], None] | None) -> None:
    if on_select is None:
        st.plotly_chart(fig, key=key, config=PLOTLY_CONFIG, width="stretch")
    else:
        st.plotly_chart(fig, key=key, on_select=on_select, selection_mode="points", config=PLOTLY_CONFIG, width="stretch")


def wordcloud(weights: tuple[tuple[str, float], ...], key: str, stem: str = "词云", width: int = 800, height: int = 400) -> None:
    """The word cloud image and a PNG download of it."""
    stem = safe_filename(stem)
    png = data.wordcloud_png(weights, width, height)
    st.image(png, width="stretch")
    st.download_button("下载词云 PNG", data=png, file_name=f"{stem}.png", mime="image/png", key=f"{key}_png",
                       icon=":material/image:", on_click="ignore", disabled=not weights)


def plain_table(df: pd.DataFrame, columns: dict[str, str], **kw: Any) -> Any:
    """st.dataframe of `df` with the given columns renamed to their Chinese headers."""
    return st.dataframe(table_frame(df, columns), hide_index=True, width="stretch", **kw)


def table_frame(df: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """The given columns of `df` under their headers, categorical ones as plain text:
    st.dataframe shows an empty category, or a missing one, as a grey "None" (an undated
    report's targets read 报告日期 None), where an empty string is a blank cell. Only the
    rows shown are converted; the corpus keeps its codes."""
    shown = df[[c for c in columns if c in df.columns]].rename(columns=columns)
    cats = [c for c in shown.columns if isinstance(shown[c].dtype, pd.CategoricalDtype)]
    return shown.assign(**{c: shown[c].astype(object).where(shown[c].notna(), "") for c in cats}) if cats else shown


def number_text(values: pd.Series) -> pd.Series:
    """Numbers with gaps as text: blank where missing, %.12g otherwise. st.dataframe shows a
    missing number as a grey "None" (streamlit issue #11123), which reads as a value;
    for a column that is mostly empty, such as a range's upper bound."""
    return values.map(lambda v: "" if pd.isna(v) else f"{v:.12g}")  # 12 digits: 1234567, not 1.23457e+06


def dated(date: str, source: str) -> str:
    """A report's date, saying so when it is not the text's own (据文件名: national_1954.txt)."""
    if not date or source in ("", "text"):
        return date or ""
    return f"{date}（据{DATE_SOURCE_LABELS.get(source, source)}）"


def joined(values: Any, sep: str = "、") -> str:
    if values is None:
        return ""
    if isinstance(values, str):
        return values
    try:
        return sep.join(str(v) for v in values)
    except TypeError:
        return str(values)


def no_data(message: str = "当前筛选下没有报告。") -> None:
    st.info(message, icon=":material/info:")
