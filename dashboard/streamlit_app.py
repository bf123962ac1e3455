"""对标透镜 Duibiao Lens: the Streamlit app (entry file).

    streamlit run dashboard/streamlit_app.py

Opens the store (`$DUIBIAO_STORE`, else `<repo>/store`; built from `seeds/` on the
first start), draws the sidebar (filters bound to the URL, upload box), and runs
the page named in the URL path. Each page is a file in `dashboard/pages_/` with a
`render(ctx)` function.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from analysis.store import StoreError  # noqa: E402
from dashboard import data, filters  # noqa: E402
from dashboard.context import Ctx, set_current  # noqa: E402
from dashboard.markup import escape_inline  # noqa: E402

HERE = Path(__file__).resolve().parent
TIMING = os.environ.get("DUIBIAO_TIMING", "") not in ("", "0")  # log each run's duration to stderr
log = logging.getLogger("duibiao.dashboard")
UPLOAD_TYPES = ["txt", "md", "docx", "pdf", "html", "htm"]
# Each upload is analysed in this server process: a cap on the count (the size cap per
# file is server.maxUploadSize in .streamlit/config.toml) keeps one session from
# occupying the server for everyone else.
MAX_UPLOADS = 20

# name, title, icon, file, url path
PAGES = [
    ("overview", "总览", ":material/dashboard:", "pages_/overview.py", "overview"),
    ("keywords", "关键词", ":material/key:", "pages_/keywords.py", "keywords"),
    ("themes", "主题", ":material/category:", "pages_/themes.py", "themes"),
    ("targets", "目标", ":material/flag:", "pages_/targets.py", "targets"),
    ("compare", "区域对比", ":material/compare_arrows:", "pages_/compare.py", "compare"),
    ("reader", "报告", ":material/article:", "pages_/reader.py", "reader"),
]


def _rebuild(path: Path) -> None:
    with st.spinner("正在从 seeds/ 重建数据……"):
        summary = data.build_store(path)
    st.session_state["_build_summary"] = summary


def open_store_or_stop():
    """The store's snapshot; builds it from seeds/ on first start, explains and stops otherwise."""
    path = data.store_path()
    try:
        return data.open_store(path)
    except StoreError as err:
        if not data.store_exists(path):
            try:
                with st.spinner("首次启动：正在从 seeds/ 构建数据……"):
                    st.session_state["_build_summary"] = data.build_store(path)
                return data.open_store(path)
            except (StoreError, OSError) as build_err:
                st.error("无法构建数据：" + escape_inline(str(build_err)))
                st.stop()
        st.title("对标透镜")
        st.error("数据存储无法读取：" + escape_inline(str(err)))
        st.caption("可以从仓库自带的 seeds/ 样本重新构建；已有的数据会被替换（旧版本保留在 store.builds/）。")
        if st.button("从 seeds/ 重建", type="primary", icon=":material/build:"):
            try:
                _rebuild(path)
            except (StoreError, OSError) as build_err:
                st.error("重建失败：" + escape_inline(str(build_err)))
                st.stop()
            st.rerun()
        st.stop()


def handle_uploads(snap, box) -> tuple[data.Corpus, list[tuple[str, str]]]:
    """The upload box: analyse each new file (cached by content hash) and merge it into
    this session's corpus. Returns the corpus and (file name, problem) for files left out."""
    base = data.load_corpus(snap)
    files = box.file_uploader(
        "上传报告（.txt .docx .pdf .html）", type=UPLOAD_TYPES, accept_multiple_files=True, key="uploads",
        help="只加入本次会话的语料，不改动数据存储。",
    )
    uploads, problems, seen = [], [], set()
    if files and len(files) > MAX_UPLOADS:
        problems += [(f.name, f"一次最多分析 {MAX_UPLOADS} 个文件，此文件未加入") for f in files[MAX_UPLOADS:]]
        files = files[:MAX_UPLOADS]
    digests = st.session_state.setdefault("_upload_digests", {})  # uploader file id -> sha256 (small)
    for f in files or []:
        raw = f.getvalue()
        digest = digests.get(f.file_id) or digests.setdefault(f.file_id, data.content_hash(raw))
        if digest in seen:
            continue
        seen.add(digest)
        if digest in base.file_hashes:
            problems.append((f.name, "内容与语料库中已有的文件相同，未重复加入"))
            continue
        try:
            rows = data.analyse_upload(digest, f.name, raw, snap, data.snapshot_key(snap))
        except Exception as err:  # a reader bug must not take the app down
            problems.append((f.name, f"无法分析（{type(err).__name__}: {err}）"))
            continue
        frow = rows["files"][0]
        if frow.get("status") != "ok" or not rows.get("reports"):
            problems.append((f.name, frow.get("message") or "没有找到报告正文"))
            continue
        uploads.append((digest, rows))
    current_ids = {f.file_id for f in files or []}
    for stale in set(digests) - current_ids:
        del digests[stale]
    st.session_state["upload_hashes"] = tuple(h for h, _ in uploads)
    for name, message in problems:
        box.warning(f"**{escape_inline(name)}**：{escape_inline(message)}", icon=":material/warning:")
    if uploads:
        box.caption(f"已加入 {len(uploads)} 个上传文件，共 {sum(len(r['reports']) for _, r in uploads)} 篇报告。")
        return data.corpus_with_uploads(snap, uploads), problems
    return base, problems


def main() -> None:
    started = time.perf_counter()
    st.set_page_config(page_title="对标透镜 · Duibiao Lens", page_icon=":material/search_insights:", layout="wide")
    snap = open_store_or_stop()
    summary = st.session_state.pop("_build_summary", None)
    if summary:
        st.toast("数据已构建：" + escape_inline(summary.splitlines()[0]), icon=":material/check_circle:")
    filter_box = st.sidebar.container()
    st.sidebar.divider()
    upload_box = st.sidebar.container()
    corpus, problems = handle_uploads(snap, upload_box)
    flt = filters.render_sidebar(corpus.options, filter_box)
    pages = {
        name: st.Page(str(HERE / file), title=title, icon=icon, url_path=url, default=(name == "overview"))
        for name, title, icon, file, url in PAGES
    }
    page = st.navigation(list(pages.values()), position="top")
    st.sidebar.caption(
        f"数据：{len(corpus.reports)} 篇报告 · 构建于 {escape_inline(corpus.manifest.get('built_at', '?'))}"
    )
    set_current(Ctx(corpus=corpus, flt=flt, pages=pages, upload_problems=problems))
    page.run()
    corpus.start_loading_soon()  # term counts and targets, for the pages that need them
    if TIMING:
        log.warning("run %s %s: %.0f ms", page.url_path or "overview", flt.describe(), (time.perf_counter() - started) * 1000)


main()
