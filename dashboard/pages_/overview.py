"""总览: the corpus at a glance."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, data, ui
from dashboard.context import Ctx, current
from dashboard.markup import escape_inline

REPORT_COLUMNS = {
    "date": "日期", "date_source": "日期依据", "district": "区域", "speaker": "讲话人", "position": "职务", "organization": "单位",
    "title": "标题", "benchmarks": "对标", "source": "来源", "source_file": "文件", "n_chars": "字数", "report_id": "编号",
}


def render(ctx: Ctx) -> None:
    c, flt = ctx.corpus, ctx.flt
    ui.page_header(ctx, "总览", needs_reports=False)
    stats = data.overview(c, flt)

    m = st.columns([1, 1, 1, 2, 1])
    m[0].metric("报告", stats["n_reports"])
    m[1].metric("讲话人", stats["n_speakers"])
    m[2].metric("区域", stats["n_districts"])
    span = "—"
    if stats["date_from"]:
        span = stats["date_from"] if stats["date_from"] == stats["date_to"] else f"{stats['date_from']} 至 {stats['date_to']}"
    m[3].metric("时间跨度", span, help=f"{stats['n_dated']} 篇报告有日期（取自正文、网页发布时间、文件名或正文所述年份，见报告列表的“日期依据”）")
    m[4].metric("来源文件", stats["n_files"])

    skipped = c.skipped_files
    with st.expander(f"跳过的文件（{len(skipped)}）", icon=":material/report:", expanded=False):
        if skipped.empty:
            st.caption("所有文件都已读入。")
        else:
            ui.plain_table(skipped, {"source_file": "文件", "status": "状态", "message": "原因"})
    if ctx.upload_problems:
        st.warning("部分上传文件未加入，原因见侧栏。", icon=":material/warning:")

    if stats["n_reports"] == 0:
        ui.no_data()
        return

    left, right = st.columns([1, 1])
    with left:
        top = data.term_ranking(c, flt, "tfidf", limit=120)
        ui.clickable_chart(
            charts.bar_ranking(top, "term", "weight", title="关键词（TF-IDF 累计）", value_title="TF-IDF 累计",
                               max_rows=20, hover={"n_reports": "报告数"}),
            key="ov_terms",
        )
    with right:
        st.markdown("**词云**")
        ui.wordcloud(data.cloud_weights(top, 60), key="ov_cloud", stem="总览词云", width=720, height=360)

    a, b = st.columns(2)
    with a:
        mix = data.theme_mix(c, flt)
        ui.clickable_chart(
            charts.bar_ranking(mix, "theme", "share", title="主题分布（点击筛选）", value_title="主题占比",
                               percent=True, hover={"n_paragraphs": "段落", "n_reports": "报告"}, selected=flt.theme),
            key="ov_themes", filter_key="theme", options=c.options.themes,
        )
    with b:
        districts = data.counts_by(c, flt, "district")
        ui.clickable_chart(
            charts.bar_ranking(districts, "district", "n_reports", title="各区域报告数（点击筛选）", value_title="报告",
                               max_rows=15, selected=flt.district),
            key="ov_districts", filter_key="district", options=c.options.districts,
        )

    a, b = st.columns(2)
    with a:
        speakers = data.counts_by(c, flt, "speaker")
        ui.clickable_chart(
            charts.bar_ranking(speakers, "speaker", "n_reports", title="讲话人（点击筛选）", value_title="报告",
                               max_rows=15, selected=flt.speaker),
            key="ov_speakers", filter_key="speaker", options=c.options.speakers,
        )
    with b:
        level = st.segmented_control("对标网络汇总到", list(data.NETWORK_LEVELS), format_func=data.NETWORK_LEVELS.get,
                                     default="district", required=True, key="net", bind="query-params")
        edges = data.benchmark_edges(c, flt, level or "district")
        ui.clickable_chart(charts.benchmark_sankey(edges, title="对标网络：谁向谁学习"), key="ov_network")
        if not edges.empty:
            with st.expander("对标关系明细"):
                ui.plain_table(edges, {"district": "学习方", "benchmark": "对标对象", "n_reports": "报告",
                                       "n_mentions": "提及段落", "themes": "主要主题"})

    years = data.year_counts(c, flt)
    if len(years) > 1 or flt.date_from or flt.date_to:
        one_year = flt.date_from.year if flt.date_from and flt.date_to and flt.date_from.year == flt.date_to.year else None
        ui.clickable_years(charts.year_bars(years, title="各年份报告数（点击筛选该年）", selected=one_year),
                           key="ov_years", date_min=c.options.date_min, date_max=c.options.date_max)

    st.subheader("报告列表")
    table = data.report_table(c, flt)
    shown = table
    if len(shown) > ui.MAX_TABLE_ROWS:
        st.caption(f"表格显示前 {ui.MAX_TABLE_ROWS} 篇；下载可得全部 {len(shown)} 篇。")
    event = ui.plain_table(shown.head(ui.MAX_TABLE_ROWS), REPORT_COLUMNS, key="ov_reports", on_select="rerun", selection_mode="single-row",
                           column_config={"字数": st.column_config.NumberColumn(format="%d")})
    rows = event.selection.rows if event is not None else []
    if rows:
        rid = table.iloc[rows[0]]["report_id"]
        ui.report_link(ctx, rid, label="打开所选报告：" + escape_inline((table.iloc[rows[0]]["title"] or rid)[:40]))
    else:
        st.caption("选中一行可打开该报告。")
    ui.downloads(lambda: data.report_table(c, flt).rename(columns=REPORT_COLUMNS)[list(REPORT_COLUMNS.values())],
                 "报告列表", key="ov_reports_dl", sheet="报告", empty=shown.empty)


if __name__ == "__main__":
    render(current())
