"""主题: theme shares, theme x speaker / district heatmaps, evidence paragraphs."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, data, ui
from dashboard.context import Ctx, current
from dashboard.markup import escape_inline, highlight, term_spans


def render(ctx: Ctx) -> None:
    c, flt = ctx.corpus, ctx.flt
    if not ui.page_header(ctx, "主题"):
        return
    mix = data.theme_mix(c, flt)
    if mix.empty:
        st.info("所选报告中没有识别出主题（主题词典见 analysis/dictionaries/themes.toml）。", icon=":material/info:")
        return

    left, right = st.columns([2, 3])
    with left:
        ui.clickable_chart(
            charts.bar_ranking(mix, "theme", "share", title="主题占比（点击筛选）", value_title="主题占比",
                               percent=True, hover={"n_paragraphs": "段落", "n_reports": "报告"}, selected=flt.theme),
            key="th_mix", filter_key="theme", options=c.options.themes,
        )
        ui.downloads(mix.rename(columns={"theme": "主题", "n_paragraphs": "段落", "n_reports": "报告", "score": "累计得分", "share": "占比"}),
                     "主题占比", key="th_mix_dl", sheet="主题")
    with right:
        shares = st.toggle("按行显示占比", value=True, key="th_shares", help="关：带该主题的段落数；开：每行（讲话人/区域）内各主题的比例")
        tab_s, tab_d = st.tabs(["主题 × 讲话人", "主题 × 区域"])
        st.caption("点击格子：按该行（讲话人或区域）和该列的主题筛选，下方显示该主题的证据段落。")
        with tab_s:
            m = data.theme_matrix(c, flt, "speaker", top=20, normalise=shares)
            ui.clickable_cells(charts.heatmap(m, percent=shares), key="th_heat_speaker",
                               filters=[("speaker", c.options.speakers), ("theme", c.options.themes)])
            if not m.empty:
                ui.downloads(m.reset_index().rename(columns={"speaker": "讲话人"}), "主题x讲话人", key="th_hs_dl")
        with tab_d:
            m = data.theme_matrix(c, flt, "district", top=20, normalise=shares)
            ui.clickable_cells(charts.heatmap(m, percent=shares, colourscale="Oranges"), key="th_heat_district",
                               filters=[("district", c.options.districts), ("theme", c.options.themes)])
            if not m.empty:
                ui.downloads(m.reset_index().rename(columns={"district": "区域"}), "主题x区域", key="th_hd_dl")

    trend = data.theme_trend(c, flt)
    if not trend.empty:
        st.divider()
        st.subheader("主题随时间变化")
        options = list(dict.fromkeys(trend["theme"]))
        default = [flt.theme] if flt.theme in options else options[:4]
        picked = st.multiselect("主题", options, default=default, key="th_trend_themes", placeholder="选择主题")
        shown = trend[trend["theme"].isin(picked)]
        st.caption("每年带主题的段落中该主题的占比（每个段落计一次，按得分分摊）；按报告日期的年份，未注日期的报告不计。")
        st.plotly_chart(charts.trend_lines(shown, "share", series="theme", percent=True, value_title="主题占比",
                                           hover={"n_reports": "报告"}),
                        key="th_trend", config=ui.PLOTLY_CONFIG, width="stretch")
        ui.downloads(trend.rename(columns={"year": "年份", "theme": "主题", "share": "占比", "n_reports": "报告"}),
                     "主题随时间变化", key="th_trend_dl", sheet="主题趋势")

    st.divider()
    st.subheader("主题证据")
    themes = list(mix["theme"])
    default = themes.index(flt.theme) if flt.theme in themes else 0
    # the evidence follows the theme filter when it changes (a click on a bar or a
    # heatmap cell drills down to that theme's paragraphs); otherwise it is the reader's choice
    if flt.theme in themes and st.session_state.get("_th_filter_theme") != flt.theme:
        st.session_state["th_evidence_theme"] = flt.theme
    st.session_state["_th_filter_theme"] = flt.theme
    theme = st.selectbox("主题", themes, index=default, key="th_evidence_theme")
    ev = data.theme_evidence(c, flt, theme, limit=40)
    st.caption(f"“{escape_inline(theme)}”得分最高的段落（绿色为命中的主题词）。")
    for row in ev.itertuples():
        with st.container(border=True):
            # the cues of a report written in traditional characters are simplified terms,
            # found in its stored simplified form (same length)
            searched = row.text_simplified if isinstance(row.text_simplified, str) else row.text or ""
            spans = term_spans(searched, row.evidence, "evidence")
            st.markdown(highlight(row.text or "", spans))
            meta = " · ".join(x for x in [row.date or "", row.district or "", row.speaker or "", (row.title or "")[:40]] if x)
            a, b = st.columns([4, 1], vertical_alignment="center")
            a.caption(escape_inline(meta) + f" · 第 {row.paragraph_no} 段 · 得分 {row.score:.2f} · 命中：" + escape_inline("、".join(row.evidence)))
            with b:
                ui.report_link(ctx, row.report_id)
    if not ev.empty:
        out = ev.assign(evidence=ev["evidence"].map(ui.joined)).rename(columns={
            "text": "段落", "evidence": "命中词", "score": "得分", "speaker": "讲话人", "district": "区域", "title": "标题",
            "date": "日期", "paragraph_no": "段落号", "report_id": "报告编号"})
        ui.downloads(out, f"主题证据_{theme}", key="th_ev_dl", sheet="证据")


if __name__ == "__main__":
    render(current())
