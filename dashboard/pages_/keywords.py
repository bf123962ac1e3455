"""关键词: ranked terms by method, word cloud, keyword in context."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, data, ui
from dashboard.context import Ctx, current
from dashboard.markup import escape_inline, highlight, term_spans

METHODS = {"TF-IDF": "tfidf", "TextRank": "textrank", "词频": "count"}
METHOD_HELP = (
    "TF-IDF：在本报告中常见、在其他报告中少见的词（语料库 IDF 与通用 IDF 混合）；"
    "TextRank：在本报告的词语共现网络中居中心的词；词频：出现次数（选了讲话人时只计其本人的话）。"
    "前两种按每篇报告的前 20 个关键词累计权重。"
)
KWIC_PAGE = 25


def _pick_term(chart_key: str, options: tuple[str, ...]):
    """Clicking a bar of the ranking shows that term in context below."""

    def _cb() -> None:
        event = st.session_state.get(chart_key)
        try:
            points = event["selection"]["points"]
        except (KeyError, TypeError):
            return
        if points:
            custom = points[0].get("customdata")
            term = custom[0] if isinstance(custom, (list, tuple)) and custom else points[0].get("y")
            if isinstance(term, str) and term:
                st.session_state["term"] = term

    return _cb


def render(ctx: Ctx) -> None:
    c, flt = ctx.corpus, ctx.flt
    if not ui.page_header(ctx, "关键词"):
        return

    choice = st.segmented_control("排序方法", list(METHODS), default="TF-IDF", key="method", bind="query-params",
                                  required=True, help=METHOD_HELP)
    method = METHODS.get(choice or "TF-IDF", "tfidf")
    ranking = data.term_ranking(c, flt, method, limit=300)
    value_title = {"tfidf": "TF-IDF 累计", "textrank": "TextRank 累计", "count": "出现次数"}[method]

    left, right = st.columns([1, 1])
    with left:
        st.plotly_chart(
            charts.bar_ranking(ranking, "term", "weight", title=f"前 30 个词（{choice}）· 点击查看上下文",
                               value_title=value_title, max_rows=30, hover={"n_reports": "报告数"}),
            key="kw_bars", on_select=_pick_term("kw_bars", tuple(ranking["term"])), selection_mode="points",
            config=ui.PLOTLY_CONFIG, width="stretch",
        )
    with right:
        st.markdown(f"**词云**（{escape_inline(choice)}）")
        ui.wordcloud(data.cloud_weights(ranking, 100), key="kw_cloud", stem=f"词云_{method}")
        with st.expander("词表", icon=":material/list:"):
            table = ranking.rename(columns={"term": "词", "weight": value_title, "n_reports": "报告数", "best_rank": "最高名次"})
            st.dataframe(table, hide_index=True, width="stretch", height=300)
            ui.downloads(table, f"关键词_{method}", key="kw_table_dl", sheet="关键词")

    st.divider()
    st.subheader("关键词上下文")
    options = list(ranking["term"].head(200))
    term = st.selectbox(
        "词语", options, index=0 if options else None, key="term", bind="query-params", accept_new_options=True,
        placeholder="选择或输入一个词", help="可以输入列表之外的任何词语或短语。",
    )
    if not term:
        return
    hits, totals = data.kwic(c, flt, term, limit=500)
    if totals.paragraphs == 0:
        st.info(f"所选报告中没有包含“{escape_inline(term)}”的句子。", icon=":material/search_off:")
        return
    shown = f"下面是前 {len(hits)} 句" if totals.paragraphs > len(hits) else f"共 {len(hits)} 句"
    st.caption(f"“{escape_inline(term)}”出现 {totals.mentions} 次，在 {totals.reports} 篇报告的 {totals.paragraphs} 个段落中；{shown}。")
    trend = data.term_trend(c, flt, term)
    if not trend.empty:
        with st.expander(f"“{escape_inline(term)}”逐年出现频次", icon=":material/show_chart:"):
            st.plotly_chart(charts.trend_lines(trend, "per_10k", value_title="每万字出现次数",
                                               hover={"mentions": "次数", "n_reports": "报告"}),
                            key="kw_trend", config=ui.PLOTLY_CONFIG, width="stretch")
            st.caption("按报告日期的年份；未注日期的报告不计。")
            ui.downloads(trend.rename(columns={"year": "年份", "mentions": "次数", "n_reports": "报告", "n_chars": "字数",
                                               "per_10k": "每万字次数"}), f"逐年频次_{term}", key="kw_trend_dl", sheet="逐年频次")
    pages = max(1, -(-len(hits) // KWIC_PAGE))
    page = st.pagination(pages, key="kwic_page") if pages > 1 else 1
    for row in hits.iloc[(page - 1) * KWIC_PAGE: page * KWIC_PAGE].itertuples():
        with st.container(border=True):
            st.markdown(highlight(row.sentence, term_spans(row.match, [term], "term")))  # found in the searched form
            meta = " · ".join(x for x in [row.date or "", row.district or "", row.speaker or "", (row.title or "")[:40]] if x)
            a, b = st.columns([4, 1], vertical_alignment="center")
            a.caption(escape_inline(meta) + f" · 第 {row.paragraph_no} 段")
            with b:
                ui.report_link(ctx, row.report_id)
    export = hits[["sentence", "speaker", "district", "date", "title", "paragraph_no", "report_id", "source_file"]].rename(
        columns={"sentence": "句子", "speaker": "讲话人", "district": "区域", "date": "日期", "title": "标题",
                 "paragraph_no": "段落", "report_id": "报告编号", "source_file": "文件"})
    ui.downloads(export, f"上下文_{term}", key="kwic_dl", sheet="上下文")


if __name__ == "__main__":
    render(current())
