"""区域对比: two or three districts (or speakers, or years) side by side.

URL: `by` (district | speaker | year), `a`, `b`, `c` (the names, or years). `a`/`b`/`c` are bound
select boxes (a name that is not an option is dropped); `by` is kept in the URL
by hand so it reads `by=speaker` rather than its Chinese label.
"""

from __future__ import annotations

import streamlit as st

from dashboard import charts, data, ui
from dashboard.context import Ctx, current
from dashboard.markup import escape_inline

BY = {"district": "区域", "speaker": "讲话人", "year": "年份"}
REPLACED = {"district": "区域", "speaker": "讲话人", "year": "日期"}  # the sidebar filter a side replaces
COLOUR_NAMES = ("blue", "red", "green")  # Streamlit text colours matching charts.GROUP_COLOURS


def _sync_by() -> None:
    value = st.session_state.get("_cmp_by") or "district"
    if value == "district":
        if "by" in st.query_params:
            del st.query_params["by"]
    else:
        st.query_params["by"] = value


def _by_from_url() -> str:
    value = st.query_params.get("by", "district")
    if value not in BY:
        del st.query_params["by"]  # bogus value: drop it, like the bound widgets do
        value = "district"
    return value


def _defaults(c, by: str, options: list[str]) -> tuple[int, int]:
    """The two sides shown first: by district, the two districts with the most reports
    (not 山东省 against 济宁市, which lies in it, though a province holds more)."""
    if by == "district" and len(homes := [h for h in c.options.homes if h in options]) >= 2:
        return options.index(homes[0]), options.index(homes[1])
    return 0, 1


def render(ctx: Ctx) -> None:
    c, flt = ctx.corpus, ctx.flt
    ui.page_header(ctx, "区域对比", needs_reports=False)

    by = _by_from_url()
    st.session_state["_cmp_by"] = by
    st.segmented_control("对比", list(BY), format_func=BY.get, key="_cmp_by", required=True, on_change=_sync_by)
    options = data.year_options(c) if by == "year" else getattr(c.options, f"{by}s")  # districts, speakers
    if len(options) < 2:
        st.info(f"语料中只有 {len(options)} 个{BY[by]}，无法对比。", icon=":material/info:")
        return
    s1, s2, s3 = st.columns(3)
    first, second = _defaults(c, by, options)
    a = s1.selectbox(f"{BY[by]} A", options, index=first, key="a", bind="query-params")
    b = s2.selectbox(f"{BY[by]} B", options, index=second, key="b", bind="query-params")
    c3 = s3.selectbox(f"{BY[by]} C（可选）", options, index=None, key="c", bind="query-params", placeholder="不选")
    names = list(dict.fromkeys(x for x in (a, b, c3) if x))
    if len(names) < 2:
        st.warning("请选择两个不同的对象。", icon=":material/warning:")
        return
    if by == "district":
        for x in names:
            for y in names:
                if y in c.options.enclosing.get(x, ()):
                    st.caption(f"{escape_inline(x)} 属于 {escape_inline(y)}：两组报告有重叠。")
    replaced = {"district": flt.district, "speaker": flt.speaker, "year": flt.date_from or flt.date_to}[by]
    note = f"（侧栏的{REPLACED[by]}筛选在此被对比对象替代）" if replaced else ""
    st.caption(f"其余侧栏筛选照常生效{note}。按讲话人对比时，只计其本人所说的话。")

    groups = {name: data.group_filter(flt, by, name) for name in names}
    cols = st.columns(len(names))
    for i, (name, g) in enumerate(groups.items()):
        with cols[i]:
            st.markdown(f"### :{COLOUR_NAMES[i]}[{escape_inline(name)}]")
            n_words, terms = data.group_summary(c, flt, by, name)
            m1, m2 = st.columns(2)
            m1.metric("报告", len(data.reports_for(c, g)))
            m2.metric("词数", n_words)
            weights = tuple((t, float(n)) for t, n in terms.head(60)[["term", "count"]].itertuples(index=False))
            ui.wordcloud(weights, key=f"cmp_cloud_{i}", stem=f"词云_{name}", width=560, height=300)
            st.markdown("**向谁学习**")
            edges = data.benchmark_edges(c, g)
            if edges.empty:
                st.caption("没有对标记录。")
            else:
                learned = edges.groupby("benchmark", as_index=False)[["n_reports", "n_mentions"]].sum().sort_values("n_reports", ascending=False)
                ui.plain_table(learned, {"benchmark": "对标对象", "n_reports": "报告", "n_mentions": "提及段落"})
            st.markdown("**数值目标**（最新报告在前）")
            first = data.newest_first(c, data.selected_targets(c, g, kind="target"), 15)
            if not len(first):
                st.caption("没有识别出目标。")
            else:
                ui.plain_table(data.all_targets(c).iloc[first], {"indicator": "指标", "value": "数值", "unit": "单位", "hedge": "限定",
                                                                 "deadline": "时限", "date": "报告日期"})

    st.divider()
    st.subheader("特色词")
    st.caption("对数几率比（带信息先验的狄利克雷模型）的 z 值：|z| > 1.96（虚线）约为 95% 置信的差异。")
    if len(names) == 2:
        d = data.distinctive_terms(c, flt, by, names[0], [names[1]], top=15)
        st.plotly_chart(charts.diverging_terms(d, names[0], names[1]), key="cmp_div", config=ui.PLOTLY_CONFIG, width="stretch")
        tables = {"特色词": d}
    else:
        cols = st.columns(len(names))
        tables = {}
        for i, name in enumerate(names):
            others = [n for n in names if n != name]
            d = data.distinctive_terms(c, flt, by, name, others, top=15)
            tables[name] = d
            with cols[i]:
                st.plotly_chart(charts.distinctive_bars(d, name, charts.GROUP_COLOURS[i], title=f"{name} 相对其余"),
                                key=f"cmp_dist_{i}", config=ui.PLOTLY_CONFIG, width="stretch")
    first = next(iter(tables.values()))
    ui.downloads(first.rename(columns={"term": "词", "count_a": "A 次数", "count_b": "B 次数", "delta": "对数几率差", "z": "z"}),
                 "特色词", key="cmp_terms_dl", sheet="特色词")

    st.subheader("主题构成")
    mixes = {name: data.theme_mix(c, g) for name, g in groups.items()}
    st.plotly_chart(charts.group_theme_mix(mixes), key="cmp_mix", config=ui.PLOTLY_CONFIG, width="stretch")


if __name__ == "__main__":
    render(current())
