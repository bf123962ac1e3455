"""报告: one report in full, with its keywords, themes and targets highlighted.

URL: `report=<report_id>`. The id is kept in the URL by hand (not a bound widget)
so the link stays a short id while the picker shows titles; an unknown id is
dropped from the URL with a note, never an error.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, ui
from dashboard.context import Ctx, current
from dashboard.corpus import KIND_LABELS
from dashboard.markup import Span, escape_inline, find_all, highlight, term_spans

PICK_KEY = "_reader_pick"
MAX_CHOICES = 1000  # the picker lists at most this many reports; filter to narrow


def _sync_report() -> None:
    rid = st.session_state.get(PICK_KEY)
    if rid:
        st.query_params["report"] = rid


def _report_from_url(ctx: Ctx) -> str | None:
    rid = st.query_params.get("report")
    if rid is None:
        return None
    if ctx.corpus.has_report(rid):
        return rid
    del st.query_params["report"]
    st.info(f"没有编号为“{escape_inline(rid[:40])}”的报告，请从列表中选择。", icon=":material/search_off:")
    return None


def _paragraph_markdown(text: str, targets: pd.DataFrame, keywords: list[str], evidence: list[str], show: dict,
                        terms_in: str | None = None) -> str:
    """`text` with its targets, keywords and theme cues marked. `terms_in`: the same text
    with traditional characters simplified (same length), where the analysis's terms are
    looked for in a report written in traditional characters."""
    spans: list[Span] = []
    if show["targets"]:
        for span in targets["span"].dropna():
            spans += [Span(s, e, "target") for s, e in find_all(text, span)]
    if show["keywords"]:
        spans += term_spans(terms_in or text, keywords, "keyword")
    if show["evidence"]:
        spans += term_spans(terms_in or text, evidence, "evidence")
    return highlight(text, spans)


def render(ctx: Ctx) -> None:
    c = ctx.corpus
    st.title("报告")
    requested = _report_from_url(ctx)
    pool = data.reports_for(c, ctx.flt)
    ids = list(pool["report_id"].head(MAX_CHOICES))
    if requested and requested not in set(ids):
        ids = [requested] + ids
    if not ids:
        ui.no_data()
        return
    labels = c.labels
    rid = requested or ids[0]
    st.session_state[PICK_KEY] = rid
    more = f"，列出前 {MAX_CHOICES} 篇，可用侧栏筛选缩小范围" if len(pool) > MAX_CHOICES else ""
    st.selectbox(
        f"选择报告（{len(pool)} 篇符合筛选{more}）", ids, key=PICK_KEY, on_change=_sync_report,
        format_func=lambda r: labels.get(r, r),
    )
    r = c.report(rid)
    parts = data.report_parts(c, rid)

    st.header(escape_inline(r["title"] or f"{r['source_file']} 第 {r['report_no']} 篇"), anchor=False)
    byline = " · ".join(x for x in [r["speaker"], r["position"], r["organization"]] if x)
    if byline:
        st.markdown(f"**{escape_inline(byline)}**")
    facts = {
        "区域": r["district"], "日期": ui.dated(r["date"], r["date_source"]), "来源": r["source"], "对标": ui.joined(r["benchmarks"]),
        "记者": ui.joined(r["reporters"]), "文件": f"{r['source_file']}（第 {r['report_no']} 篇）", "字数": str(r["n_chars"]),
        "编号": rid,
    }
    st.caption(" ｜ ".join(f"{k}：{escape_inline(v)}" for k, v in facts.items() if v))

    kw = parts["keywords"]
    tfidf = kw[kw["method"] == "tfidf"].sort_values("rank")["term"].head(12).tolist()
    textrank = kw[kw["method"] == "textrank"].sort_values("rank")["term"].head(12).tolist()
    th = parts["themes"]
    tg = parts["targets"]
    with st.container(border=True):
        k1, k2 = st.columns(2)
        k1.markdown("**关键词（TF-IDF）**：" + escape_inline("、".join(tfidf) or "—"))
        k2.markdown("**关键词（TextRank）**：" + escape_inline("、".join(textrank) or "—"))
        themes_line = th.groupby("theme")["score"].sum().sort_values(ascending=False) if not th.empty else pd.Series(dtype=float)
        st.markdown("**主题**：" + escape_inline("、".join(f"{t}（{s:.1f}）" for t, s in themes_line.items()) or "—"))
        if not parts["benchmarks"].empty:
            st.markdown("**对标对象**：" + escape_inline("、".join(
                f"{b}（{n} 段）" for b, n in zip(parts["benchmarks"]["benchmark"], parts["benchmarks"]["n_mentions"]))))

    t1, t2, t3, _ = st.columns([1, 1, 1, 2])
    show = {
        "targets": t1.toggle(":orange-background[数值目标]", value=True, key="rd_show_targets"),
        "keywords": t2.toggle(":blue-background[关键词]", value=True, key="rd_show_keywords"),
        "evidence": t3.toggle(":green-background[主题词]", value=False, key="rd_show_evidence"),
    }
    paragraphs = parts["paragraphs"]
    if paragraphs["text_simplified"].notna().any():  # the build read it as traditional characters
        st.caption("原文为繁体字，按原样显示；关键词、主题、数值目标和关键词上下文都按简体处理（經濟 → 经济）。")
    speakers = set(paragraphs["speaker"]) - {"", r["speaker"]}
    for p in paragraphs.itertuples():
        p_targets = tg[tg["paragraph_no"] == p.paragraph_no]
        p_themes = th[th["paragraph_no"] == p.paragraph_no]
        evidence = [e for ev in p_themes["evidence"] for e in ev]
        st.markdown(_paragraph_markdown(p.text, p_targets, tfidf, evidence, show,
                                        p.text_simplified if isinstance(p.text_simplified, str) else None))
        notes = []
        if speakers and p.speaker:
            notes.append(f"讲话人：{p.speaker}")
        if not p_themes.empty:
            notes.append("主题：" + "、".join(p_themes["theme"]))
        if notes:
            st.caption(f"¶{p.paragraph_no} · " + escape_inline(" · ".join(notes)))

    if not tg.empty:
        st.subheader("本文的数值")
        shown = tg.assign(kind=tg["kind"].map(lambda k: KIND_LABELS.get(k, k)), value_max=ui.number_text(tg["value_max"]))
        ui.plain_table(shown, {"paragraph_no": "段", "indicator": "指标", "value": "数值", "value_max": "上限", "unit": "单位",
                               "hedge": "限定", "deadline": "时限", "kind": "类型", "speaker": "讲话人", "sentence": "句子"})
    st.download_button("下载全文（.txt）", data=(parts["text"] or "").encode("utf-8"), file_name=f"{rid}.txt", mime="text/plain",
                       icon=":material/download:", on_click="ignore", key="rd_txt")


if __name__ == "__main__":
    render(current())
