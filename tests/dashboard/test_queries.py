"""The dashboard's queries (dashboard.data over dashboard.corpus) against straightforward pandas over the stored tables.

The corpus answers from CSR arrays, masks and DuckDB views over Parquet; these
tests recompute each answer the plain way (groupby over the whole stored table)
on a store built from seeds/, with and without filters, and with an upload.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from analysis.compare import compare_groups, theme_shares
from analysis.store import open_snapshot
from dashboard import data
from dashboard.corpus import KIND_LABELS, Corpus
from dashboard.filters import Filter

ROOT = Path(__file__).resolve().parents[2]
logging.getLogger("streamlit").setLevel(logging.ERROR)  # "no runtime" notes from st.cache_*

UPLOAD = (
    "对标先进 加快发展\n\n测试区发展改革局局长 张三\n\n"
    "到潍坊高新区对标学习，收获很大。全年力争新增税收5亿元，确保完成招商引资项目10个。\n\n"
    "我们将以科技创新为引领，加快产业转型升级，培育独角兽企业。\n"
).encode("utf-8")


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    from analysis.build import build

    out = tmp_path_factory.mktemp("corpus") / "store"
    build([ROOT / "seeds"], out, workers=1, progress=False)
    return out


@pytest.fixture(scope="module")
def corpus(store) -> Corpus:
    return Corpus.from_snapshot(open_snapshot(store))


@pytest.fixture(scope="module")
def stored(store) -> dict[str, pd.DataFrame]:
    names = ("reports", "paragraphs", "term_counts", "keywords", "themes", "targets")
    return {n: pq.read_table(store / f"{n}.parquet").to_pandas() for n in names}


def _ids(c: Corpus, flt: Filter) -> list[str]:
    return data.reports_for(c, flt)["report_id"].tolist()


def _all_terms(c: Corpus, by: str, who: str) -> pd.DataFrame:
    return data.group_summary(c, Filter(), by, who, top=None)[1]


def _filters(c: Corpus) -> list[Filter]:
    return [Filter(), Filter(district=c.options.districts[0]), Filter(district=c.options.districts[-1]),
            Filter(speaker=c.options.speakers[0]), Filter(theme=c.options.themes[0])]


def _ranked(df: pd.DataFrame, limit: int) -> pd.DataFrame:
    df = df.assign(_w=df["weight"].round(9)).sort_values(["_w", "term"], ascending=[False, True], kind="stable")
    return df.drop(columns="_w").head(limit).reset_index(drop=True)


def test_the_seed_store_has_what_the_comparisons_need(corpus):
    assert len(corpus.options.districts) >= 2 and len(corpus.options.speakers) >= 3
    assert corpus.speaker_terms().by_speaker.n_rows > 0  # quoted speakers exist (002 quotes 毕志伟)


@pytest.mark.parametrize("method", ["count", "tfidf", "textrank"])
def test_term_ranking_equals_a_groupby_over_the_stored_rows(corpus, stored, method):
    for flt in _filters(corpus):
        ids = set(_ids(corpus, flt))
        got = data.term_ranking(corpus, flt, method, limit=60)
        if method == "count":
            tc = stored["term_counts"][stored["term_counts"]["report_id"].isin(ids)]
            if flt.speaker:
                tc = tc[tc["speaker"] == flt.speaker]
            want = tc.groupby("term").agg(weight=("count", "sum"), n_reports=("report_id", "nunique")).reset_index()
            want["weight"] = want["weight"].astype(float)
        else:
            kw = stored["keywords"][(stored["keywords"]["method"] == method) & stored["keywords"]["report_id"].isin(ids)]
            want = kw.groupby("term").agg(weight=("weight", "sum"), n_reports=("report_id", "size"),
                                          best_rank=("rank", "min")).reset_index()
        want = _ranked(want, 60)
        assert len(got) == len(want) > 0, flt
        pd.testing.assert_frame_equal(got, want[got.columns], check_dtype=False, rtol=1e-9, obj=str(flt))


def test_group_terms_and_distinctive_terms_match_compare_groups(corpus, stored):
    # two districts apart (the options also hold the cities and provinces containing them)
    a, b = corpus.reports["district"].value_counts().index[:2]
    tc = stored["term_counts"]
    for who in (a, b):
        ids = set(_ids(corpus, Filter(district=who)))
        want = tc[tc["report_id"].isin(ids)].groupby("term")["count"].sum()
        got = _all_terms(corpus, "district", who).set_index("term")["count"]
        pd.testing.assert_series_equal(got.sort_index(), want.sort_index(), check_names=False, check_dtype=False, check_index_type=False)
    ids_a, ids_b = _ids(corpus, Filter(district=a)), _ids(corpus, Filter(district=b))
    want = compare_groups(tc, ids_a, ids_b, top_k=15)[["term", "count_a", "count_b", "delta", "z"]]
    got = data.distinctive_terms(corpus, Filter(), "district", a, [b], top=15)
    pd.testing.assert_frame_equal(got, want, check_dtype=False, rtol=1e-9)


def test_speaker_group_counts_only_that_speakers_words(corpus, stored):
    who = corpus.options.speakers[0]
    tc = stored["term_counts"]
    want = tc[tc["speaker"] == who].groupby("term")["count"].sum()
    got = _all_terms(corpus, "speaker", who).set_index("term")["count"]
    pd.testing.assert_series_equal(got.sort_index(), want.sort_index(), check_names=False, check_dtype=False, check_index_type=False)


def test_theme_mix_shares_are_theme_shares(corpus, stored):
    for flt in _filters(corpus):
        mix = data.theme_mix(corpus, flt)
        if mix.empty:
            continue
        themes = data._themes_for(corpus, flt)
        want = theme_shares(themes, themes["report_id"].unique())
        got = mix.set_index("theme")["share"]
        pd.testing.assert_series_equal(got.sort_index(), want[want > 0].reindex(got.index).sort_index(),
                                       check_names=False, rtol=1e-12)
        assert mix["n_paragraphs"].sum() == len(themes)
        assert abs(mix["share"].sum() - 1) < 1e-12


def test_targets_follow_the_filter(corpus, stored):
    for flt in _filters(corpus):
        ids = set(_ids(corpus, flt))
        want = stored["targets"][stored["targets"]["report_id"].isin(ids)]
        if flt.speaker:
            want = want[want["speaker"] == flt.speaker]
        got = data.targets(corpus, flt)
        assert sorted(zip(got["report_id"], got["span"])) == sorted(zip(want["report_id"], want["span"])), flt
        assert set(got["kind_label"]) <= set(KIND_LABELS.values())
        first = data.all_targets(corpus).iloc[data.selected_targets(corpus, flt, kind="target")[:15]]
        pd.testing.assert_frame_equal(first, got[got["kind"] == "target"].head(15))


def test_targets_carry_their_report_s_title_and_date_blank_when_it_has_none(corpus, stored):
    """Each target shows its report's title and date; an undated report's targets show a
    blank date (a missing value in the table read "None")."""
    t = data.all_targets(corpus)
    reports = stored["reports"].set_index("report_id")
    assert t["date"].tolist() == [reports.at[r, "date"] or "" for r in t["report_id"]]
    assert t["title"].tolist() == [reports.at[r, "title"] or "" for r in t["report_id"]]
    assert "" in set(t["date"]) and not t["date"].isna().any()  # the seeds hold undated reports


def test_one_report_is_read_back_from_the_store(corpus, stored):
    rid = stored["reports"]["report_id"].iloc[1]
    parts = data.report_parts(corpus, rid)
    paras = stored["paragraphs"][stored["paragraphs"]["report_id"] == rid]
    assert parts["paragraphs"]["text"].tolist() == paras.sort_values("paragraph_no")["text"].tolist()
    assert parts["text"] == "\n".join(paras.sort_values("paragraph_no")["text"])
    assert len(parts["text"]) == stored["reports"].set_index("report_id").loc[rid, "n_chars"]
    th = stored["themes"][stored["themes"]["report_id"] == rid]
    want = {(int(p), t): list(e) for p, t, e in zip(th["paragraph_no"], th["theme"], th["evidence"])}
    assert {(int(p), t): e for p, t, e in zip(parts["themes"]["paragraph_no"], parts["themes"]["theme"],
                                               parts["themes"]["evidence"])} == want
    kw = stored["keywords"][stored["keywords"]["report_id"] == rid]
    assert sorted(zip(parts["keywords"]["method"], parts["keywords"]["term"])) == sorted(zip(kw["method"], kw["term"]))


def test_kwic_counts_every_occurrence_in_the_selection(corpus, stored):
    term = "高新区"
    hits, totals = data.kwic(corpus, Filter(), term)
    text = stored["paragraphs"]["text"]
    assert totals.mentions == int(text.str.count(term).sum())
    assert totals.paragraphs == int(text.str.contains(term, regex=False).sum())
    assert all(term in s for s in hits["sentence"])


def test_uploads_stack_on_the_store(corpus, stored):
    from analysis.pipeline import analyse_file

    rows = analyse_file(UPLOAD, data.UPLOAD_PREFIX + "新报告.txt", data._resources.__wrapped__(), content_hash="f" * 64)
    up = Corpus.with_uploads(corpus, [("f" * 64, rows)])
    n_new = len(rows["reports"])
    assert n_new >= 1 and len(up.reports) == len(corpus.reports) + n_new
    assert len(corpus.reports) == len(stored["reports"])  # the store's corpus is not changed
    rid = rows["reports"][0]["report_id"]
    only = Filter(file=data.UPLOAD_PREFIX + "新报告.txt")
    counts = data.term_ranking(up, only, "count", limit=500).set_index("term")["weight"]
    want = pd.DataFrame(rows["term_counts"]).groupby("term")["count"].sum().astype(float)
    pd.testing.assert_series_equal(counts.sort_index(), want.sort_index(), check_names=False, check_index_type=False)
    everything = data.term_ranking(up, Filter(), "count", limit=100_000).set_index("term")["weight"]
    base = data.term_ranking(corpus, Filter(), "count", limit=100_000).set_index("term")["weight"]
    for term in ("独角兽企业", "项目"):  # new to the store, and in both
        assert everything.get(term, 0) == base.get(term, 0) + want.get(term, 0) > 0
    hits, totals = data.kwic(up, only, "独角兽")
    assert totals.reports == 1 and hits["report_id"].tolist() == [rid]
    # the character index of the store and the uploads counts as the scan does
    for term in ("发展", "创新"):
        mentions, paragraphs = up._char_index.result().counts(term, len(up.reports))
        scanned = data.scan_term_hits(up, term)
        assert mentions.tolist() == scanned[0].tolist() and paragraphs.tolist() == scanned[1].tolist()
        assert mentions[-n_new:].sum() == sum(p["text"].count(term) for p in rows["paragraphs"])
    assert mentions[-n_new:].sum() > 0
    said = pd.DataFrame(rows["term_counts"]).query("speaker == '张三'").groupby("term")["count"].sum()
    _, own = data.group_summary(up, Filter(), "speaker", "张三", top=None)
    assert len(said) > 0 and own.set_index("term")["count"].sort_index().to_dict() == said.sort_index().to_dict()
    parts = data.report_parts(up, rid)
    assert "独角兽" in parts["text"] and len(parts["paragraphs"]) == len(rows["paragraphs"])
    assert (data.targets(up, only)["report_id"] == rid).all()


def test_group_summary_is_the_top_of_the_group_terms(corpus):
    who = corpus.options.districts[0]
    full = _all_terms(corpus, "district", who)
    total, top = data.group_summary(corpus, Filter(), "district", who, top=10)
    assert total == full["count"].sum() > 0
    want = full.sort_values("count", ascending=False, kind="stable").head(10)
    assert top["count"].tolist() == want["count"].tolist()
    assert set(top["term"]) <= set(full["term"])


def test_a_store_without_the_hidden_tf_table_still_counts_terms(store, stored, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(store.resolve(), copy, ignore=shutil.ignore_patterns("_mapped"))  # no copy of the counts made from _tf
    (copy / "_tf.parquet").unlink()
    c = Corpus.from_snapshot(open_snapshot(copy))
    got = data.term_ranking(c, Filter(), "count", limit=40)
    want = stored["term_counts"].groupby("term")["count"].sum().astype(float).rename("weight").reset_index()
    want = _ranked(want.assign(n_reports=0), 40)
    assert got["term"].tolist() == want["term"].tolist()
    assert got["weight"].tolist() == want["weight"].tolist()


def test_text_is_read_from_the_parts_holding_the_selected_reports(tmp_path, monkeypatch, stored):
    """A store split into a part per file: one report's text comes from one part file,
    and every text view gives the same rows as over the whole store."""
    import analysis.build as build_mod

    monkeypatch.setattr(build_mod, "GROUP_BYTES", 1)
    out = tmp_path / "store"
    build_mod.build([ROOT / "seeds"], out, workers=1, progress=False)
    c = Corpus.from_snapshot(open_snapshot(out))
    assert c.part_of is not None and len(set(c.part_of.tolist())) == 5  # a part per seed file
    paragraphs = stored["paragraphs"]
    for i, rid in enumerate(c.reports["report_id"]):
        one = np.zeros(len(c.reports), dtype=bool)
        one[i] = True
        assert c.text_source("paragraphs", one).count(".parquet'") == 1
        parts = data.report_parts(c, rid)
        want = paragraphs[paragraphs["report_id"] == rid].sort_values("paragraph_no")["text"].tolist()
        assert parts["paragraphs"]["text"].tolist() == want
        assert parts["text"] == "\n".join(want)
    district = c.options.districts[0]
    hits, totals = data.kwic(c, Filter(district=district), "发展")
    ids = set(_ids(c, Filter(district=district)))
    chosen = paragraphs[paragraphs["report_id"].isin(ids)]["text"]
    assert totals.mentions == int(chosen.str.count("发展").sum()) > 0
    assert set(hits["report_id"]) <= ids
    ev = data.theme_evidence(c, Filter(district=district), c.options.themes[0])
    text_of = paragraphs.set_index(["report_id", "paragraph_no"])["text"]
    assert len(ev) > 0 and all(text_of[(r, p)] == t for r, p, t in zip(ev["report_id"], ev["paragraph_no"], ev["text"]))


@pytest.fixture(scope="module")
def char_index(store, corpus):
    from dashboard.corpus import read_char_index

    snap = open_snapshot(store)
    return read_char_index(snap, corpus.order, snap.path)


def _kwic_ways(corpus, char_index, monkeypatch):
    """Each way keyword in context can count: reading the selection's paragraphs, a scan
    of all the text, the character index (each forced in turn)."""
    from dashboard.corpus import Corpus as C

    for way, cheap, index in (("reads", True, None), ("scan", False, None), ("index", False, char_index)):
        monkeypatch.setattr(C, "reads_cheaply", lambda self, rix, cheap=cheap: cheap)
        monkeypatch.setattr(C, "char_index", lambda self, index=index: index)
        yield way


@pytest.mark.parametrize("term,limit", [("发展", 500), ("发展", 7), ("高新区", 3), ("不存在的词语", 500)])
def test_kwic_by_report_reads_equals_kwic_by_scan(corpus, stored, char_index, monkeypatch, term, limit):
    """Keyword in context reads a few reports' paragraphs, or scans the text for a large
    selection, or counts with the character index: all give the same sentences and
    totals, and the totals are the plain counts."""
    paragraphs = stored["paragraphs"]
    for flt in (Filter(), Filter(district=corpus.options.districts[0]), Filter(speaker=corpus.options.speakers[0])):
        got = {way: data._kwic.__wrapped__(corpus, corpus.key, flt, term, limit)
               for way in _kwic_ways(corpus, char_index, monkeypatch)}
        for way in ("scan", "index"):
            pd.testing.assert_frame_equal(got["reads"][0], got[way][0])
            assert got["reads"][1] == got[way][1]
            assert got["reads"][2].tolist() == got[way][2].tolist()
        got[True] = got["reads"]
        assert got[True][2].sum() == got[True][1].mentions
        chosen = paragraphs[paragraphs["report_id"].isin(set(_ids(corpus, flt)))]
        has = chosen["text"].str.contains(term, regex=False)
        assert got[True][1] == data.KwicTotals(int(chosen["text"].str.count(term).sum()), int(has.sum()),
                                              chosen.loc[has, "report_id"].nunique())
        assert len(got[True][0]) == min(limit, int(chosen["text"].map(lambda t: _sentences_with(t, term)).sum()))


def _sentences_with(text: str, term: str) -> int:
    from analysis.sentences import sentence_spans

    return sum(term in text[s:e] for s, e in sentence_spans(text))


def test_text_reads_without_the_paragraph_index(corpus, monkeypatch):
    """A store whose paragraphs are not grouped by report is read through DuckDB: same rows."""
    from dashboard.corpus import Deferred

    rix = np.array([3, 0, 2])
    with_index = corpus.paragraph_rows(rix)
    monkeypatch.setattr(corpus, "_text_index", Deferred(lambda: None))
    assert not corpus.reads_cheaply(rix)
    without = corpus.paragraph_rows(rix)
    assert with_index.to_pylist() == without.to_pylist()


def test_the_views_first_visits_need_are_made_on_the_loader_threads(store, stored, monkeypatch):
    import dashboard.corpus as corpus_mod

    made = []
    view = corpus_mod.targets_view
    monkeypatch.setattr(corpus_mod, "targets_view", lambda t, r: made.append(threading.current_thread().name) or view(t, r))
    c = Corpus.from_snapshot(open_snapshot(store))
    assert not c.targets_loaded()
    c.start_loading()
    frame = c.targets_frame()
    assert c.targets_loaded() and len(made) == 1 and made[0].startswith("duibiao-load")
    want = stored["targets"]
    assert sorted(zip(frame["report_id"], frame["span"])) == sorted(zip(want["report_id"], want["span"]))
    assert frame["rix"].tolist() == [c._by_id[r] for r in frame["report_id"]]
    totals = c.term_totals()
    held = totals > 0
    counted = stored["term_counts"].groupby("term")["count"].sum()
    assert dict(zip(c.terms().vocab[held], totals[held].astype(int).tolist())) == counted.to_dict()


def test_targets_are_held_in_one_chunk_per_column():
    """pandas takes rows of a many-chunk column by joining the chunks first (most of a
    second for a few rows of a large store): the store's targets are joined once."""
    import pyarrow as pa

    from dashboard.corpus import _stack, one_chunk

    parts = [pa.table({"sentence": ["甲", None], "value": [1.0, 2.0]}), pa.table({"sentence": ["乙"], "value": [3.0]})]
    table = pa.concat_tables(parts)
    joined = one_chunk(table)
    assert [c.num_chunks for c in joined.columns] == [1, 1]
    assert joined.schema.field("sentence").type == pa.large_string()
    assert joined.to_pydict() == table.to_pydict()
    stacked = _stack(joined, parts[0])  # a session's uploads come after, not joined in
    assert stacked["sentence"].to_pylist() == ["甲", None, "乙", "甲", None]


@pytest.mark.parametrize("by", ["speaker", "district"])
def test_theme_matrix_counts_themed_paragraphs_per_row(corpus, by):
    for flt in _filters(corpus)[:3]:
        t = corpus.themes if data.mask_for(corpus, flt) is None else corpus.themes[data.mask_for(corpus, flt)[corpus.themes["rix"]]]
        want = t.assign(who=t[by].astype(str), th=t["theme"].astype(str)).query("who != ''")
        want = want.groupby(["who", "th"]).size().unstack(fill_value=0)
        got = data.theme_matrix(corpus, flt, by, top=1000)
        assert sorted(got.index) == sorted(want.index) and sorted(got.columns) == sorted(want.columns)
        assert (got.loc[want.index, want.columns].to_numpy() == want.to_numpy()).all()
        sizes = got.sum(axis=1).tolist()
        assert sizes == sorted(sizes, reverse=True)  # busiest rows first
        shares = data.theme_matrix(corpus, flt, by, top=1000, normalise=True)
        assert np.allclose(shares.sum(axis=1), 1.0)


def test_upload_keywords_are_scored_against_the_store(store):
    """The upload's TF-IDF uses the store's document frequencies and report count, as
    the build scores the store's own reports."""
    import math

    snap = open_snapshot(store)
    rows = data.analyse_upload("e" * 64, "对标.txt", UPLOAD, snap, data.snapshot_key(snap))
    kw = pd.DataFrame(rows["tfidf"])
    tc = pd.DataFrame(rows["term_counts"])
    rid = rows["reports"][0]["report_id"]
    mine = tc[tc["report_id"] == rid].groupby("term")["count"].sum()
    stored = pq.read_table(store / "_df.parquet").to_pandas().set_index("term")
    n = snap.manifest["n_reports"] + len(rows["reports"])
    term = "项目"  # in the store's reports and in the upload
    assert stored.loc[term, "df"] > 0 and term in mine
    df = stored.loc[term, "df"] + int((tc.groupby("report_id")["term"].apply(set).map(lambda s: term in s)).sum())
    idf = 0.5 * (math.log((1 + n) / (1 + df)) + 1) + 0.5 * stored.loc[term, "background"]
    got = kw[(kw["report_id"] == rid) & (kw["term"] == term)]["weight"]
    assert len(got) == 1 and got.iloc[0] == pytest.approx(mine[term] / mine.sum() * idf, rel=1e-12)


def test_the_report_list_says_where_each_date_comes_from(corpus, tmp_path):
    table = data.report_table(corpus, Filter())
    dated = table[table["date"] != ""]
    # 001 is the one seed with a dated header line, 002's first report says 今年是“十四五”规划
    # 开局之年; the seeds' file names hold no dates
    assert sorted(dated[["date", "date_source"]].values.tolist()) == [["2016-01-11", "正文"], ["2021", "正文所述年份"]]
    assert set(table.loc[table["date"] == "", "date_source"]) == {""}


def test_a_date_not_from_the_text_is_shown_with_its_source():
    from analysis.metadata import DATE_SOURCES
    from dashboard import ui
    from dashboard.corpus import DATE_SOURCE_LABELS

    assert set(DATE_SOURCE_LABELS) == set(DATE_SOURCES)  # every source the build writes has a label

    assert ui.dated("2016-01-11", "text") == "2016-01-11"
    assert ui.dated("1954", "file_name") == "1954（据文件名）"
    assert ui.dated("2021-04-25", "page") == "2021-04-25（据网页发布时间）"
    assert ui.dated("", "") == ""


DATED_BODY = "\n".join([
    "各位代表：",
    "过去一年，国民经济持续发展，工农业总产值比上年增长百分之七，财政收入稳定增加，人民生活继续改善。",
    "今年要继续调整国民经济，力争工农业总产值增长百分之四，确保完成国家计划，进一步提高经济效益。",
    "要加快发展先进制造业和战略性新兴产业，培育龙头企业，加强科技创新和研发，推进产学研合作，建设创新平台。",
])


@pytest.fixture(scope="module")
def dated(tmp_path_factory) -> Corpus:
    """Three reports dated by their file names: 1978, 1990 (its folder) and none."""
    from analysis.build import build

    root = tmp_path_factory.mktemp("dated")
    src = root / "reports"
    (src / "1990").mkdir(parents=True)
    (src / "national_1978.txt").write_text(DATED_BODY, encoding="utf-8")
    # 1990: 国民经济 three times, in a longer text
    (src / "1990" / "工作报告.txt").write_text(DATED_BODY.replace("今年", "明年") + "\n国民经济要在调整中稳步前进，各地区各部门都要从全局出发，顾全大局，服从统一计划安排。",
                                            encoding="utf-8")
    (src / "未注日期.txt").write_text(DATED_BODY.replace("过去", "前"), encoding="utf-8")
    build([src], root / "store", workers=1, progress=False)
    return Corpus.from_snapshot(open_snapshot(root / "store"))


def test_file_name_dates_reach_the_overview_span_as_written(dated):
    c = dated
    stats = data.overview(c, Filter())
    assert (stats["date_from"], stats["date_to"], stats["n_dated"]) == ("1978", "1990", 2)
    table = data.report_table(c, Filter()).set_index("source_file")
    assert table.loc["reports/1990/工作报告.txt", ["date", "date_source"]].tolist() == ["1990", "文件名"]

    # the comparison's targets: the newest report's first, the undated last
    t = data.all_targets(c)
    picked = data.newest_first(c, data.selected_targets(c, Filter(), kind="target"), 15)
    dates = t.iloc[picked]["date"].tolist()
    assert dates == sorted(dates, key=lambda d: d or "0", reverse=True) and dates[0] == "1990" and dates[-1] == ""
    assert len(set(dates)) == 3
    assert len(data.newest_first(c, data.selected_targets(c, Filter(), kind="target"), 1)) == 1
    assert data.newest_first(c, np.array([], dtype=np.int64), 15).tolist() == []
    # positions in any order (the targets page's selection, filtered), here reversed
    again = t.iloc[data.newest_first(c, np.arange(len(t))[::-1], 15)]["date"].tolist()
    assert again[0] == "1990" and again[-1] == "" and again == sorted(again, key=lambda d: d or "0", reverse=True)


def test_term_trend_counts_each_dated_year_by_hand(dated):
    trend = data.term_trend(dated, Filter(), "国民经济").set_index("year")
    assert trend.index.tolist() == [1978, 1990]  # the undated report is left out
    assert trend["mentions"].tolist() == [2, 3] and trend["n_reports"].tolist() == [1, 1]
    chars = dated.reports.set_index("source_file")["n_chars"]
    assert trend.loc[1978, "n_chars"] == chars["reports/national_1978.txt"]
    assert trend.loc[1990, "per_10k"] == pytest.approx(3 / chars["reports/1990/工作报告.txt"] * 10_000)
    # the per-report counts come from keyword in context, whichever way it read the text
    for cheap in (True, False):
        original = dated.reads_cheaply
        try:
            dated.reads_cheaply = lambda rix, cheap=cheap: cheap
            counts = data._kwic.__wrapped__(dated, "k", Filter(), "国民经济", data.KWIC_LIMIT)[2]
        finally:
            dated.reads_cheaply = original
        by_file = dict(zip(dated.reports["source_file"], counts.tolist()))
        assert by_file == {"reports/national_1978.txt": 2, "reports/1990/工作报告.txt": 3, "reports/未注日期.txt": 2}
    assert data.term_trend(dated, Filter(district="不存在"), "国民经济").empty
    assert data.term_trend(dated, Filter(), " ").empty


def test_theme_trend_shares_sum_to_one_per_year_over_all_themes(dated, corpus):
    trend = data.theme_trend(dated, Filter())
    assert sorted(set(trend["year"])) == [1978, 1990]
    assert trend.groupby("year")["share"].sum().round(9).tolist() == [1.0, 1.0]
    assert list(dict.fromkeys(trend["theme"])) == data.theme_mix(dated, Filter())["theme"].tolist()
    assert set(data.theme_trend(corpus, Filter())["year"]) == {2016, 2021}  # the seeds' two dated reports
    assert data.theme_trend(corpus, Filter(district="山亭区")).empty  # 2021 alone


def test_trend_figures_draw_a_line_per_series_with_years_on_x(dated):
    from dashboard import charts

    themes = data.theme_trend(dated, Filter())
    fig = charts.trend_lines(themes, "share", series="theme", percent=True, hover={"n_reports": "报告"})
    assert [t.name for t in fig.data] == list(dict.fromkeys(themes["theme"]))
    # every year from the first to the last; the years without reports are gaps
    assert all(list(t.x) == list(range(1978, 1991)) for t in fig.data)
    assert all(np.isnan(t.y[1:-1]).all() and not np.isnan(t.y[[0, -1]]).any() for t in fig.data)
    words = data.term_trend(dated, Filter(), "国民经济")
    fig = charts.trend_lines(words, "per_10k", value_title="每万字出现次数", hover={"mentions": "次数"})
    assert len(fig.data) == 1 and list(fig.data[0].customdata[[0, -1], 0]) == [2, 3]
    empty = charts.trend_lines(words.iloc[0:0], "per_10k")
    assert not empty.data and "两个年份" in empty.layout.annotations[0].text


def test_a_year_side_of_the_comparison_is_that_years_reports(dated):
    g = data.group_filter(Filter(district="全国"), "year", "1990")
    assert (g.district, g.date_from, g.date_to) == ("全国", dt.date(1990, 1, 1), dt.date(1990, 12, 31))
    assert data.year_options(dated) == ["1990", "1978"]
    picked = data.reports_for(dated, data.group_filter(Filter(), "year", "1978"))
    assert picked["source_file"].tolist() == ["reports/national_1978.txt"]


def test_year_counts_leave_the_undated_out(dated):
    counts = data.year_counts(dated, Filter())
    assert counts.values.tolist() == [[1978, 1], [1990, 1]]
    assert data.year_counts(dated, Filter(district="不存在")).empty


def test_values_by_year_put_each_value_at_its_reports_year(dated):
    rows = data.targets(dated, Filter())
    pos = data.target_positions(rows, ["target", "achievement"], indicator="总产值")
    # the same rows from a selection's positions
    assert data.target_positions(rows, ["target", "achievement"], indicator="总产值",
                                 at=data.selected_targets(dated, Filter())).tolist() == pos.tolist()
    assert set(rows.iloc[pos]["indicator"].map(lambda i: "总产值" in i)) == {True}
    got, unit, n = data.values_by_year(dated, rows, "%", pos)
    assert unit == "%" and n == len(got) == 4  # 1978 and 1990: 增长百分之七 (achieved), 力争增长百分之四
    assert sorted(zip(got["year"], got["kind"], got["plot_value"])) == [
        (1978, "achievement", 7.0), (1978, "target", 4.0), (1990, "achievement", 7.0), (1990, "target", 4.0)]
    few, _, n = data.values_by_year(dated, rows, "%", pos, limit=2)
    assert n == 4 and few["year"].tolist() == [1990, 1990]  # the newest reports' first
    assert len(data.target_positions(rows, ["target", "achievement"], indicator="没有这个指标")) == 0


TRADITIONAL_BODY = "\n".join([
    "各位代表：",
    "過去一年，國民經濟持續發展，工農業總產值比上年增長百分之七，財政收入穩定增加，人民生活繼續改善。",
    "今年要繼續調整國民經濟，力爭工農業總產值增長百分之四，確保完成國家計劃，進一步提高經濟效益。",
])


@pytest.fixture(scope="module")
def with_traditional(tmp_path_factory) -> tuple[Corpus, Path]:
    """A report written in traditional characters (1955) and one in simplified (2020)."""
    from analysis.build import build

    root = tmp_path_factory.mktemp("traditional")
    src = root / "reports"
    src.mkdir()
    (src / "national_1955.txt").write_text(TRADITIONAL_BODY, encoding="utf-8")
    (src / "national_2020.txt").write_text(DATED_BODY, encoding="utf-8")
    build([src], root / "store", workers=1, progress=False)
    return Corpus.from_snapshot(open_snapshot(root / "store")), root / "store"


def test_keyword_in_context_finds_simplified_terms_in_traditional_text(with_traditional, monkeypatch):
    from dashboard.corpus import read_char_index

    c, store = with_traditional
    stored = pq.read_table(store / "paragraphs.parquet").to_pandas()
    # every paragraph of the report written in traditional characters, same length; none of the other
    old_report = stored["report_id"].isin(stored.loc[stored["text"].str.contains("經濟"), "report_id"])
    assert old_report.sum() == 3 and (stored.loc[old_report, "text_simplified"].str.len() == stored.loc[old_report, "text"].str.len()).all()
    assert stored.loc[~old_report, "text_simplified"].isna().all()
    snap = open_snapshot(store)
    for _ in _kwic_ways(c, read_char_index(snap, c.order, snap.path), monkeypatch):
        hits, totals, per_report = data._kwic.__wrapped__(c, c.key, Filter(), "国民经济", 50)
        # 国民经济 twice in each report, 國民經濟 written in the 1955 one
        assert totals == data.KwicTotals(4, 4, 2) and per_report.tolist() == [2, 2]
        shown = hits[hits["sentence"].str.contains("國民經濟")]
        assert len(shown) == 2 and (shown["match"].str.contains("国民经济")).all()
    trend = data.term_trend(c, Filter(), "国民经济")
    assert trend["mentions"].tolist() == [2, 2]


def test_a_report_in_traditional_characters_is_told_apart_and_its_terms_marked(with_traditional):
    from dashboard.pages_.reader import _paragraph_markdown

    c, _ = with_traditional
    old, new = (data.report_parts(c, rid)["paragraphs"] for rid in c.reports.sort_values("date")["report_id"])
    assert old["text_simplified"].notna().all() and new["text_simplified"].isna().all()
    p = old[old["text"].str.contains("國民經濟")].iloc[0]
    assert "国民经济" in p["text_simplified"] and len(p["text_simplified"]) == len(p["text"])
    show = {"targets": False, "keywords": True, "evidence": False}
    plain = _paragraph_markdown(p["text"], pd.DataFrame({"span": []}), ["国民经济"], [], show)
    marked = _paragraph_markdown(p["text"], pd.DataFrame({"span": []}), ["国民经济"], [], show, p["text_simplified"])
    assert ":blue-background[國民經濟]" in marked and ":blue-background[" not in plain


def test_an_uploaded_file_is_dated_by_its_name_too():
    from analysis.pipeline import analyse_file

    rows = analyse_file(UPLOAD, data.UPLOAD_PREFIX + "2019年4月考察报告.txt", data._resources.__wrapped__(), content_hash="e" * 64)
    assert {(r["date"], r["date_source"]) for r in rows["reports"]} == {("2019-04", "file_name")}


def test_the_targets_download_keeps_the_indicator_filter(dated):
    from dashboard.pages_.targets import _export

    everything = _export(dated, Filter(), ["target", "achievement"], [], "")
    out = _export(dated, Filter(), ["target", "achievement"], [], "比上年")
    assert len(everything) == 6 and len(out) == 3  # 工农业总产值比上年增长 once in each of the 3 reports
    assert out["指标"].str.contains("比上年").all()


@pytest.mark.parametrize("chain, district, city, province", [
    (("昆山高新区", "昆山市", "苏州市", "江苏省"), "昆山高新区", "苏州市", "江苏省"),
    (("济宁高新区", "济宁市", "山东省"), "济宁高新区", "济宁市", "山东省"),
    (("朝阳区（北京）", "北京市"), "朝阳区（北京）", "北京市", "北京市"),  # a municipality is its districts' city
    (("仙桃市", "湖北省"), "仙桃市", "仙桃市", "湖北省"),  # a county the province governs directly
    (("全国",), "全国", "全国", "全国"),
    ((), "", "", ""),
])
def test_region_at_each_level(chain, district, city, province):
    assert [data.region_at(chain, lvl) for lvl in ("district", "city", "province")] == [district, city, province]


def test_the_network_of_who_learns_from_whom_by_city_and_province(corpus):
    def pairs(level):
        e = data.benchmark_edges(corpus, Filter(), level)
        return {(d, b): n for d, b, n in e[["district", "benchmark", "n_reports"]].itertuples(index=False)}

    by_district = pairs("district")
    assert by_district[("济宁高新区", "长沙高新区")] == 5 and by_district[("山亭区", "东港区")] == 2
    # 山亭区 learns from 邹城市 and 任城区 in one report: one report for 枣庄市 -> 济宁市
    assert pairs("city") == {("济宁市", "长沙市"): 5, ("济宁市", "潍坊市"): 4, ("枣庄市", "日照市"): 2, ("枣庄市", "济宁市"): 1,
                             ("枣庄市", "潍坊市"): 1, ("济宁市", "上海市"): 1, ("济宁市", "武汉市"): 1}
    assert pairs("province") == {("山东省", "山东省"): 6, ("山东省", "湖南省"): 5, ("山东省", "上海市"): 1, ("山东省", "湖北省"): 1}
    assert pairs("nonsense") == by_district
    # the sidebar filter still applies
    only = data.benchmark_edges(corpus, Filter(district="山亭区"), "province")
    assert only[["district", "benchmark", "n_reports"]].values.tolist() == [["山东省", "山东省", 2]]


def test_the_background_reading_waits_after_the_first_page_not_after_a_click(store, monkeypatch):
    """start_loading_soon: the first page's run starts the reading LOAD_DELAY seconds
    later (the browser is drawing that page meanwhile); the next run starts it at once."""
    import time

    import dashboard.corpus as corpus_mod

    started = []
    monkeypatch.setattr(corpus_mod.Corpus, "start_loading", lambda self: started.append(time.monotonic()))
    monkeypatch.setattr(corpus_mod, "LOAD_DELAY", 0.3)
    c = Corpus.from_snapshot(open_snapshot(store))
    asked = time.monotonic()
    c.start_loading_soon()
    assert started == []  # not yet
    deadline = time.monotonic() + 5
    while not started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(started) == 1 and started[0] - asked >= 0.3
    c.start_loading_soon()  # a later run: at once
    assert len(started) == 2

    fresh = Corpus.from_snapshot(open_snapshot(store))
    fresh.start_loading_soon()
    fresh.start_loading_soon()  # a click before the delay is over starts it at once
    assert len(started) == 3
