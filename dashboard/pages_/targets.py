"""目标: quantities in the reports, commitments kept apart from achievements."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, data, ui
from dashboard.context import Ctx, current
from dashboard.corpus import KIND_LABELS
from dashboard.markup import Span, escape_inline, find_all, highlight

KINDS = KIND_LABELS  # target -> 目标 ...
COLUMNS = {
    "indicator": "指标", "value": "数值", "value_max": "上限", "unit": "单位", "hedge": "限定", "deadline": "时限",
    "kind_label": "类型", "speaker": "讲话人", "district": "区域", "span": "原文数值", "sentence": "句子", "title": "报告",
    "date": "日期",
}


def _sentence_markdown(sentence: str, span: str) -> str:
    hits = find_all(sentence or "", span or "")
    return highlight(sentence or "", [Span(s, e, "target") for s, e in hits[:1]])


def _export(c, flt, kinds: list[str], units: list[str], indicator: str) -> pd.DataFrame:
    rows = data.targets(c, flt)  # on a download's click only
    rows = rows.iloc[data.target_positions(rows, kinds, units, indicator)]
    return rows.rename(columns=COLUMNS)[list(COLUMNS.values())]


def render(ctx: Ctx) -> None:
    c, flt = ctx.corpus, ctx.flt
    if not ui.page_header(ctx, "目标"):
        return
    # every target of the corpus and the positions of the selection's: rows are taken by
    # position, so only the shown ones are copied (kind_label comes with the rows)
    all_rows, selected = data.all_targets(c), data.selected_targets(c, flt)
    if not len(selected):
        st.info("所选报告中没有识别出数值目标。", icon=":material/info:")
        return

    kinds_present = set(all_rows["kind"].iloc[selected].unique().tolist())
    present = [k for k in KINDS if k in kinds_present]
    f1, f2, f3 = st.columns([2, 2, 1])
    default = [k for k in present if k != "context"] or present
    kinds = f1.multiselect("类型", present, default=default, format_func=lambda k: KINDS.get(k, k), key="tg_kinds",
                           help="目标：今后要达到的；成绩：已经达到的；背景：其他数字（默认不显示）")
    units = sorted(set(all_rows["unit"].iloc[selected].fillna("").unique().tolist()) - {""})
    chosen_units = f2.multiselect("单位", units, default=[], key="tg_units", placeholder="全部单位")
    indicator = f3.text_input("指标包含", key="indicator", bind="query-params", placeholder="如：生产总值",
                              help="只看指标名称含有这段文字的数值，例如“生产总值”“财政收入”。")
    pos = data.target_positions(all_rows, kinds, chosen_units, indicator or "", at=selected)
    n_kind = all_rows["kind"].iloc[pos].value_counts()
    per_kind = "，".join(f"{KINDS[k]} {int(n_kind.get(k, 0))}" for k in KINDS if k in kinds)
    st.caption(f"{len(pos)} 个数值（{per_kind}），最新报告在前。选中一行查看原句。")
    if len(pos) > ui.MAX_TABLE_ROWS:
        st.caption(f"表格显示最新报告的前 {ui.MAX_TABLE_ROWS} 行；下载可得全部 {len(pos)} 行。")
    shown = all_rows.iloc[data.newest_first(c, pos, ui.MAX_TABLE_ROWS)]
    event = ui.plain_table(
        shown.assign(value_max=ui.number_text(shown["value_max"])), COLUMNS, key="tg_table", on_select="rerun",
        selection_mode="single-row", height=360,
        column_config={"数值": st.column_config.NumberColumn(format="%g"),
                       "句子": st.column_config.TextColumn(width="large")},
    )
    picked = event.selection.rows if event is not None else []
    if picked and picked[0] < len(shown):
        r = shown.iloc[picked[0]]
        with st.container(border=True):
            st.markdown(_sentence_markdown(r["sentence"], r["span"]))
            meta = " · ".join(x for x in [r["date"] or "", r["district"] or "", r["speaker"] or "", (r["title"] or "")[:40]] if x)
            a, b = st.columns([4, 1], vertical_alignment="center")
            a.caption(escape_inline(meta) + f" · 第 {int(r['paragraph_no'])} 段")
            with b:
                ui.report_link(ctx, r["report_id"])
    # made on click from the selection, so a session does not hold every target of the store
    ui.downloads(lambda: _export(c, flt, kinds, chosen_units, indicator or ""), "目标", key="tg_dl", sheet="目标", empty=not len(pos))

    st.divider()
    st.subheader("可比较的数值")
    choices = data.unit_choices(all_rows, pos)
    if not choices:
        st.caption("没有可比较的数值。")
        return
    unit = st.selectbox("单位", choices, index=0, key="tg_chart_unit",
                        format_func=lambda u: {"元": "元（以亿元显示）"}.get(u, u),
                        help="同一单位（或可换算的单位，如亿元与万元）的数值放在一起比较。")
    comparable, shown_unit = data.comparable_values(all_rows, unit, limit=40, at=pos)
    st.plotly_chart(charts.target_values(comparable, shown_unit, title=f"{unit} 数值对比（区间显示上限）"), key="tg_chart",
                    config=ui.PLOTLY_CONFIG, width="stretch")
    over_years, shown_unit, n = data.values_by_year(c, all_rows, unit, pos)
    if over_years["year"].nunique() > 1:
        st.subheader("数值随年份")
        note = f"（共 {n} 个，只画最新报告的 {len(over_years)} 个；可用“指标包含”缩小范围）" if n > len(over_years) else ""
        st.caption(f"每个点是一个数值，按其报告日期的年份排列{note}。例如在“指标包含”中输入“生产总值”，可看历年的增长目标。")
        st.plotly_chart(charts.values_over_years(over_years, shown_unit), key="tg_years", config=ui.PLOTLY_CONFIG,
                        width="stretch")


if __name__ == "__main__":
    render(current())
