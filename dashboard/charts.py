"""Plotly figure builders: data in, figure out (no Streamlit calls).

Every bar chart that can filter carries the value it stands for in `customdata[0]`,
so a click (Streamlit `on_select`) maps straight back to a filter value whatever
the label shows. Plotly renders text as text (labels are never parsed as HTML
beyond its own tiny tag set, which we do not rely on): names go through `_plain`,
which neutralises `<` so a name like `<b>x</b>` shows literally.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.corpus import KIND_LABELS

PRIMARY = "#1F4E79"
ACCENT = "#C0392B"
MUTED = "#8FA9C4"
GROUP_COLOURS = ("#1F4E79", "#C0392B", "#2E8B57")
KIND_COLOURS = {"target": "#C0392B", "achievement": "#1F4E79", "context": "#9AA5B1"}
FONT = dict(family="'Noto Sans SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif", size=13)


def _plain(s: object) -> str:
    """A label plotly shows verbatim: its label renderer knows a few HTML tags
    (<b>, <br>, <a href>), so angle brackets are replaced by look-alikes."""
    return str("" if s is None else s).replace("<", "‹").replace(">", "›")


def _layout_dict(title: str | None, height: int, **kw) -> dict:
    return dict(
        title=dict(text=_plain(title), x=0, xanchor="left", font=dict(size=15)) if title else None,
        height=height,
        margin=dict(l=8, r=16, t=44 if title else 8, b=8),
        font=FONT,
        showlegend=kw.pop("showlegend", False),
        **kw,
    )


def _layout(fig: go.Figure, title: str | None, height: int, **kw) -> go.Figure:
    fig.update_layout(**_layout_dict(title, height, **kw))
    return fig


def empty_figure(message: str = "无数据", height: int = 240) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=_plain(message), showarrow=False, font=dict(size=16, color="#888"), x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, None, height)


def bar_ranking(
    df: pd.DataFrame,
    label: str,
    value: str,
    *,
    title: str | None = None,
    value_title: str = "",
    max_rows: int = 25,
    colour: str = PRIMARY,
    hover: Mapping[str, str] | None = None,
    percent: bool = False,
    selected: str | None = None,
) -> go.Figure:
    """Horizontal bars, largest on top; `customdata[0]` is the label value (for click-to-filter).

    `hover` maps extra column -> Chinese name shown on hover; `selected` is drawn in the accent colour.
    """
    if df is None or df.empty:
        return empty_figure()
    d = df.head(max_rows).iloc[::-1]
    labels = [_plain(x) for x in d[label]]
    custom = np.column_stack([d[label].astype(str)] + [d[c].astype(str) for c in (hover or {})])
    extra = "".join(f"<br>{_plain(name)}：%{{customdata[{i + 1}]}}" for i, name in enumerate((hover or {}).values()))
    fmt = "%{x:.1%}" if percent else "%{x:,.4~g}"
    colours = [ACCENT if selected is not None and str(v) == selected else colour for v in d[label]]
    # data and layout in one go: plotly validates on every update call, which at a few
    # charts per page was a good part of a click's time
    bar = dict(type="bar", x=d[value].tolist(), y=labels, orientation="h", marker=dict(color=colours), customdata=custom,
               hovertemplate=f"%{{y}}<br>{_plain(value_title) or '数值'}：{fmt}{extra}<extra></extra>")
    layout = _layout_dict(title, height=max(220, 26 * len(d) + 80), clickmode="event+select", dragmode=False,
                          xaxis=dict(title=dict(text=_plain(value_title)), tickformat=".0%" if percent else None, gridcolor="#eee"),
                          yaxis=dict(type="category", automargin=True))
    return go.Figure(data=[bar], layout=layout)


def benchmark_sankey(edges: pd.DataFrame, *, title: str | None = None, max_edges: int = 60) -> go.Figure:
    """Who learns from whom: learner districts on the left, benchmarks on the right,
    band width = number of reports. A district that is both appears on each side."""
    if edges is None or edges.empty:
        return empty_figure("没有对标关系")
    e = edges.head(max_edges)
    left = list(dict.fromkeys(e["district"]))
    right = list(dict.fromkeys(e["benchmark"]))
    labels = [_plain(x) for x in left] + [_plain(x) for x in right]
    colours = [PRIMARY] * len(left) + [ACCENT] * len(right)
    src = [left.index(d) for d in e["district"]]
    dst = [len(left) + right.index(b) for b in e["benchmark"]]
    themes = e["themes"].fillna("").astype(str) if "themes" in e else pd.Series([""] * len(e))
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            node=dict(label=labels, color=colours, pad=14, thickness=16, line=dict(width=0),
                      hovertemplate="%{label}<br>报告：%{value}<extra></extra>"),
            link=dict(
                source=src, target=dst, value=e["n_reports"].astype(float).tolist(),
                color="rgba(31,78,121,0.25)",
                customdata=np.column_stack([e["n_mentions"].astype(str), [_plain(t) for t in themes]]),
                hovertemplate="%{source.label} → %{target.label}<br>报告：%{value}<br>提及段落：%{customdata[0]}<br>主题：%{customdata[1]}<extra></extra>",
            ),
        )
    )
    height = max(260, 28 * max(len(left), len(right)) + 80)
    return _layout(fig, title, height)


def heatmap(matrix: pd.DataFrame, *, title: str | None = None, percent: bool = False, colourscale: str = "Blues") -> go.Figure:
    """Rows x columns heatmap with the numbers written in the cells.

    Plotly's heatmaps send no selection events to Streamlit (streamlit/streamlit#8760):
    each cell also holds an invisible square marker, the point a click selects, with
    (row, column) as its customdata (`ui.clickable_cells`)."""
    if matrix is None or matrix.empty:
        return empty_figure()
    z = matrix.to_numpy(dtype=float)
    text = [[(f"{v:.0%}" if percent else f"{v:.0f}") if v else "" for v in row] for row in z]
    xs, ys = [_plain(c) for c in matrix.columns], [_plain(i) for i in matrix.index]
    fig = go.Figure(
        go.Heatmap(z=z, x=xs, y=ys, colorscale=colourscale, text=text, texttemplate="%{text}", showscale=False,
                   xgap=2, ygap=2, hoverinfo="skip")
    )
    rows, cols = np.divmod(np.arange(z.size), z.shape[1])
    fig.add_trace(go.Scatter(
        x=[xs[j] for j in cols], y=[ys[i] for i in rows], mode="markers", showlegend=False,
        marker=dict(symbol="square", size=26, color="rgba(0,0,0,0)"),
        selected=dict(marker=dict(opacity=1)), unselected=dict(marker=dict(opacity=1)),
        customdata=[[str(matrix.index[i]), str(matrix.columns[j])] for i, j in zip(rows, cols)],
        text=[text[i][j] or "0" for i, j in zip(rows, cols)],
        hovertemplate="%{y} · %{x}<br>" + ("占比：%{text}" if percent else "段落：%{text}") + "<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed", type="category", automargin=True)
    fig.update_xaxes(side="top", type="category", tickangle=-30)
    return _layout(fig, title, height=max(240, 30 * len(matrix) + 120))


def diverging_terms(df: pd.DataFrame, label_a: str, label_b: str, *, title: str | None = None) -> go.Figure:
    """Distinctive terms as a diverging bar chart of z-scores: right (colour A) = more typical
    of A, left (colour B) = more typical of B. |z| > 1.96 is about 95% confidence."""
    if df is None or df.empty:
        return empty_figure("词数太少，无法比较")
    d = df.sort_values("z")
    colours = [GROUP_COLOURS[0] if z > 0 else GROUP_COLOURS[1] for z in d["z"]]
    custom = np.column_stack([d["term"].astype(str), d["count_a"].astype(str), d["count_b"].astype(str)])
    fig = go.Figure(
        go.Bar(
            x=d["z"], y=[_plain(t) for t in d["term"]], orientation="h", marker_color=colours, customdata=custom,
            hovertemplate=(f"%{{y}}<br>z = %{{x:.2f}}<br>{_plain(label_a)}：%{{customdata[1]}} 次"
                           f"<br>{_plain(label_b)}：%{{customdata[2]}} 次<extra></extra>"),
        )
    )
    lim = float(max(2.5, d["z"].abs().max() * 1.1))
    fig.update_xaxes(range=[-lim, lim], zeroline=True, zerolinecolor="#555", gridcolor="#eee",
                     title_text=f"← 更像 {_plain(label_b)}　　z 值　　更像 {_plain(label_a)} →")
    for x in (-1.96, 1.96):
        fig.add_vline(x=x, line=dict(color="#bbb", dash="dot", width=1))
    fig.update_yaxes(type="category", automargin=True)
    return _layout(fig, title, height=max(260, 22 * len(d) + 110), dragmode=False)


def distinctive_bars(df: pd.DataFrame, label: str, colour: str, *, title: str | None = None) -> go.Figure:
    """The terms most typical of one group against the rest (z > 0 only)."""
    if df is None or df.empty:
        return empty_figure("没有显著的特色词")
    d = df[df["z"] > 0].sort_values("z")
    if d.empty:
        return empty_figure("没有显著的特色词")
    fig = go.Figure(
        go.Bar(x=d["z"], y=[_plain(t) for t in d["term"]], orientation="h", marker_color=colour,
               customdata=np.column_stack([d["count_a"].astype(str), d["count_b"].astype(str)]),
               hovertemplate=f"%{{y}}<br>z = %{{x:.2f}}<br>{_plain(label)}：%{{customdata[0]}} 次<br>其余：%{{customdata[1]}} 次<extra></extra>")
    )
    fig.add_vline(x=1.96, line=dict(color="#bbb", dash="dot", width=1))
    fig.update_xaxes(title_text="z 值（越大越有特色）", gridcolor="#eee")
    fig.update_yaxes(type="category", automargin=True)
    return _layout(fig, title, height=max(240, 22 * len(d) + 100), dragmode=False)


def group_theme_mix(mixes: Mapping[str, pd.DataFrame], *, title: str | None = None, max_themes: int = 12) -> go.Figure:
    """Theme shares side by side, one bar colour per group."""
    mixes = {k: v for k, v in mixes.items() if v is not None and not v.empty}
    if not mixes:
        return empty_figure("没有主题数据")
    total = pd.concat([m.set_index("theme")["share"] for m in mixes.values()], axis=1).fillna(0).sum(axis=1)
    themes = list(total.sort_values(ascending=False).index[:max_themes])[::-1]
    fig = go.Figure()
    for i, (name, m) in enumerate(mixes.items()):
        s = m.set_index("theme")["share"].reindex(themes).fillna(0)
        fig.add_trace(go.Bar(
            x=s.to_numpy(), y=[_plain(t) for t in themes], orientation="h", name=_plain(name),
            marker_color=GROUP_COLOURS[i % len(GROUP_COLOURS)],
            hovertemplate=f"{_plain(name)} · %{{y}}：%{{x:.1%}}<extra></extra>",
        ))
    fig.update_xaxes(tickformat=".0%", gridcolor="#eee", title_text="主题占比（每个带主题的段落计一次，按得分分摊）")
    fig.update_yaxes(type="category", automargin=True)
    return _layout(fig, title, height=max(260, 22 * len(themes) * max(1, len(mixes)) // 2 + 120), barmode="group",
                   showlegend=True, legend=dict(orientation="h", y=-0.15))


def target_values(rows: pd.DataFrame, unit: str, *, title: str | None = None, max_rows: int = 40) -> go.Figure:
    """Comparable quantities (one unit): a bar per quantity, coloured by kind; a range
    such as 20-30亿元 shows its upper bound as an error bar."""
    if rows is None or rows.empty:
        return empty_figure("该单位下没有数值")
    d = rows.sort_values("plot_value", ascending=False).head(max_rows).iloc[::-1]
    fig = go.Figure()
    for kind in ("target", "achievement", "context"):
        k = d[d["kind"] == kind]
        if k.empty:
            continue
        upper = (k["plot_max"] - k["plot_value"]).where(k["plot_max"].notna(), 0).fillna(0)
        fig.add_trace(go.Bar(
            x=k["plot_value"], y=[_plain(lab) for lab in k["label"]], orientation="h",
            name=KIND_LABELS[kind], marker_color=KIND_COLOURS[kind],
            error_x=dict(type="data", symmetric=False, array=upper.to_numpy(), arrayminus=[0] * len(k), visible=bool(upper.any())),
            customdata=np.column_stack([k["span"].fillna("").map(_plain), k["hedge"].fillna("").map(_plain), k["deadline"].fillna("").map(_plain)]),
            hovertemplate="%{y}<br>%{x:,.4~g} " + _plain(unit) + "<br>原文：%{customdata[0]}<br>限定：%{customdata[1]}<br>时限：%{customdata[2]}<extra></extra>",
        ))
    fig.update_xaxes(title_text=_plain(unit), gridcolor="#eee")
    fig.update_yaxes(type="category", automargin=True, showticklabels=True)
    return _layout(fig, title, height=max(240, 24 * len(d) + 100), showlegend=True, barmode="overlay",
                   legend=dict(orientation="h", y=1.02, x=1, xanchor="right", yanchor="bottom"))


def _year_axis(first: int, last: int) -> dict:
    """An x axis of years: whole years only (no 2020.5), every year when there are few."""
    return dict(tickformat="d", gridcolor="#eee", dtick=1 if last - first <= 10 else None)


TREND_COLOURS = ("#1F4E79", "#C0392B", "#2E8B57", "#D68910", "#7D3C98", "#17A589", "#839192", "#A04000")


def trend_lines(df: pd.DataFrame, y: str, *, series: str | None = None, title: str | None = None,
                percent: bool = False, value_title: str = "", hover: Mapping[str, str] | None = None) -> go.Figure:
    """One line per value of `series` (or a single line) of `y` over `df.year`, a marker per
    year, broken where a year has no row."""
    if df is None or df.empty:
        return empty_figure("需要至少两个年份的报告")
    hover = dict(hover or {})
    groups = list(df.groupby(series, sort=False)) if series else [(value_title, df)]
    # every year from the first to the last: a year without reports is a gap in the line,
    # not a straight segment across it
    years = pd.RangeIndex(int(df["year"].min()), int(df["year"].max()) + 1, name="year")
    fig = go.Figure()
    for i, (name, g) in enumerate(groups):
        g = g.set_index("year").reindex(years).reset_index()
        extra = "".join(f"<br>{_plain(label)}：%{{customdata[{k}]}}" for k, label in enumerate(hover.values()))
        fig.add_trace(go.Scatter(
            x=g["year"].to_numpy(), y=g[y].to_numpy(dtype=float), mode="lines+markers", name=_plain(name), connectgaps=False,
            line=dict(color=TREND_COLOURS[i % len(TREND_COLOURS)], width=2), marker=dict(size=6),
            customdata=g[list(hover)].to_numpy() if hover else None,
            hovertemplate=f"{_plain(name)} · %{{x}}：%{{y:{'.1%' if percent else '.2f'}}}{extra}<extra></extra>",
        ))
    fig.update_xaxes(_year_axis(int(years[0]), int(years[-1])), title_text="年份")
    fig.update_yaxes(tickformat=".0%" if percent else None, gridcolor="#eee", title_text=_plain(value_title), rangemode="tozero")
    return _layout(fig, title, height=340, showlegend=series is not None, legend=dict(orientation="h", y=-0.25))


def year_bars(df: pd.DataFrame, *, title: str | None = None, selected: int | None = None) -> go.Figure:
    """Reports per year as vertical bars; `customdata[0]` is the year (click to filter),
    `selected` drawn in the accent colour."""
    if df is None or df.empty:
        return empty_figure("需要至少两个年份的报告")
    years = df["year"].astype(int).tolist()
    colours = [ACCENT if selected is not None and y == selected else PRIMARY for y in years]
    bar = dict(type="bar", x=years, y=df["n_reports"].tolist(), marker=dict(color=colours),
               customdata=[[str(y)] for y in years], hovertemplate="%{x} 年：%{y} 篇报告<extra></extra>")
    # a year a bar, at least five years wide (one year alone is not one wide slab), ticks
    # on whole years and whole counts
    lo, hi = min(years), max(years)
    pad = max(0.6, (5 - (hi - lo)) / 2)
    layout = _layout_dict(title, height=260, clickmode="event+select", dragmode=False, bargap=0.15,
                          xaxis=dict(_year_axis(lo, hi), range=[lo - pad, hi + pad]),
                          yaxis=dict(title=dict(text="报告"), gridcolor="#eee", rangemode="tozero",
                                     dtick=1 if max(df["n_reports"]) <= 5 else None))
    return go.Figure(data=[bar], layout=layout)


def values_over_years(rows: pd.DataFrame, unit: str, *, title: str | None = None) -> go.Figure:
    """One marker per value (`plot_value`) at its report's year, targets and achievements
    in their colours; hover: indicator, district, the value as written."""
    if rows is None or rows.empty or rows["year"].nunique() < 2:
        return empty_figure("需要至少两个年份的数值")
    fig = go.Figure()
    for kind, g in rows.groupby("kind", sort=False):
        fig.add_trace(go.Scatter(
            x=g["year"].to_numpy(), y=g["plot_value"].to_numpy(dtype=float), mode="markers", name=KIND_LABELS.get(kind, kind),
            marker=dict(color=KIND_COLOURS.get(kind, MUTED), size=8, opacity=0.75, line=dict(width=0)),
            customdata=np.column_stack([g["indicator"].fillna("").map(_plain), g["district"].fillna("").map(_plain),
                                        g["span"].fillna("").map(_plain)]),
            hovertemplate="%{x}：%{customdata[2]}<br>%{customdata[0]}<br>%{customdata[1]}<extra></extra>",
        ))
    years = rows["year"]
    fig.update_xaxes(_year_axis(int(years.min()), int(years.max())), title_text="年份")
    fig.update_yaxes(title_text=_plain(unit), gridcolor="#eee")
    return _layout(fig, title, height=360, showlegend=True, legend=dict(orientation="h", y=-0.2))
