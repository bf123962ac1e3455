"""Keywords: term counting, TextRank on tagged terms, TF-IDF with blended IDF."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.keywords import TEXTRANK_TOL, count_terms, load_jieba_idf, textrank, tfidf_keywords
from analysis.normalize import normalize_width
from analysis.segment import build_segmenter, content_terms, load_stopwords

SEEDS = sorted((Path(__file__).parents[2] / "seeds").glob("*.txt"))


class ListSegmenter:
    """Stands in for a Segmenter: tags by splitting on spaces, every word a noun."""

    def tag(self, text):
        return [(w, "n") for w in text.split()]


def test_count_terms_counts_content_terms_over_paragraphs():
    counts = count_terms(["产业 工作 孵化器", "产业 的 2015"], ListSegmenter(), frozenset({"工作"}))
    assert counts == {("产业", "n"): 2, ("孵化器", "n"): 1}


def test_count_terms_with_the_real_segmenter():
    counts = count_terms(["全力攻坚“双招双引”,推进双百工程。", "双招双引是一号工程"], build_segmenter(), load_stopwords())
    assert counts[("双招双引", "nz")] == 2
    assert counts[("双百工程", "nz")] == 1
    assert not any(term in {"全力", "推进", "是"} for term, _ in counts)


# --- TextRank ------------------------------------------------------------------


def test_textrank_puts_the_hub_first_with_hand_computed_scores():
    # A H B H C H D H E, window=2 links neighbours: edges A-H 1, B-H 2, C-H 2, D-H 2, E-H 1
    # (H's total edge weight 8). Leaves only link to H, so with d = 0.85:
    #   leaf(w) = 0.15 + 0.85 * h * w / 8,   h = 0.15 + 0.85 * sum(leaves) = 0.7875 + 0.7225 h
    #   h = 0.7875 / 0.2775 = 2.83784; leaf(1) = 0.45152, leaf(2) = 0.75304
    # normalised by h: H 1.0, B = C = D 0.26536, A = E 0.15911.
    seq = [(w, "n") for w in "甲 中心 乙 中心 丙 中心 丁 中心 戊".split()]
    ranked = textrank(seq, window=2, top_k=10)
    assert ranked[0] == ("中心", 1.0)
    scores = dict(ranked)
    assert scores["乙"] == pytest.approx(0.26536, abs=1e-4)
    assert scores["丙"] == scores["丁"] == pytest.approx(scores["乙"])
    assert scores["甲"] == pytest.approx(0.15911, abs=1e-4)
    assert [w for w, _ in ranked[1:4]] == ["乙", "丙", "丁"]  # ties keep first-occurrence order


def test_textrank_filters_pos_and_truncates():
    seq = [("创新", "v"), ("不断", "d"), ("孵化器", "n"), ("创新", "v"), ("研发", "j"), ("不断", "d")]
    ranked = textrank(seq, top_k=2)
    assert len(ranked) == 2 and ranked[0][0] == "创新"
    assert "不断" not in dict(textrank(seq))
    assert textrank([]) == [] and textrank([("不断", "d")]) == []
    assert textrank([("孵化器", "n")]) == [("孵化器", 1.0)]


# --- IDF -------------------------------------------------------------------------


def test_load_jieba_idf_reads_the_package_table():
    idf, median = load_jieba_idf()
    assert len(idf) > 200_000
    assert median == pytest.approx(11.9547675029)  # jieba.analyse's median_idf
    assert idf["发展"] < 5 < median < idf["孵化器"] + 5


# --- TF-IDF ----------------------------------------------------------------------


def _frame(rows):
    return pd.DataFrame(rows, columns=["report_id", "term", "count", "pos"])


def test_tfidf_ranks_a_report_specific_term_above_a_common_one_by_hand():
    tc = _frame([
        ("r1", "产业", 1, "n"), ("r1", "产业", 1, "vn"), ("r1", "孵化器", 1, "n"),  # POS variants summed
        ("r2", "产业", 3, "n"), ("r2", "乡村", 1, "n"),
        ("r3", "产业", 1, "n"), ("r3", "双招双引", 1, "nz"),
    ])
    idf = {"产业": 2.0, "孵化器": 8.0, "乡村": 6.0}
    kw = tfidf_keywords(tc, jieba_idf=idf, median_idf=10.0, alpha=0.5)
    # N = 3. 产业 in all three: corpus idf = log(4/4) + 1 = 1, blended 0.5*1 + 0.5*2 = 1.5.
    # 孵化器 in r1 only: log(4/2) + 1 = 1.69315, blended 0.5*1.69315 + 0.5*8 = 4.84657.
    # r1 has 3 terms: 产业 2/3 * 1.5 = 1.0, 孵化器 1/3 * 4.84657 = 1.61552.
    r1 = kw[kw.report_id == "r1"]
    assert list(r1.term) == ["孵化器", "产业"] and list(r1["rank"]) == [1, 2]
    assert r1.weight.tolist() == pytest.approx([4.84657 / 3, 1.0], abs=1e-5)
    # 双招双引 is unknown to jieba: median 10 -> 0.5*1.69315 + 0.5*10 = 5.84657, tf 1/2.
    r3 = kw[kw.report_id == "r3"].set_index("term").weight
    assert r3["双招双引"] == pytest.approx(5.84657 / 2, abs=1e-5)
    assert list(kw.columns) == ["report_id", "term", "weight", "rank", "method"]
    assert set(kw.method) == {"tfidf"} and kw["rank"].dtype == "int64"


def test_tfidf_alpha_one_is_pure_corpus_tfidf_and_top_k_truncates():
    tc = _frame([("r1", "产业", 2, "n"), ("r1", "孵化器", 1, "n"), ("r2", "产业", 1, "n")])
    kw = tfidf_keywords(tc, jieba_idf={}, median_idf=10.0, alpha=1.0, top_k=1)
    # r1: 产业 2/3 * 1 = 0.667 vs 孵化器 1/3 * (log(3/2) + 1) = 0.468: frequency wins here.
    assert kw[["report_id", "term"]].values.tolist() == [["r1", "产业"], ["r2", "产业"]]
    assert kw.weight.iloc[0] == pytest.approx(2 / 3)


def test_tfidf_against_a_larger_corpus_adds_its_document_frequencies_by_hand():
    """An uploaded report is scored against the store it joins: N and df are the
    store's plus the report's own."""
    tc = _frame([("up", "产业", 1, "n"), ("up", "孵化器", 1, "n")])
    store_df = {"产业": 9, "孵化器": 0}
    kw = tfidf_keywords(tc, jieba_idf={}, median_idf=10.0, alpha=1.0, corpus_n=9,
                        corpus_df=lambda terms: [store_df.get(t, 0) for t in terms])
    # N = 10. 产业 in all ten: log(11/11) + 1 = 1; 孵化器 in the upload only: log(11/2) + 1 = 2.70475.
    assert kw.set_index("term").weight.to_dict() == pytest.approx({"孵化器": 2.70475 / 2, "产业": 0.5}, abs=1e-5)
    alone = tfidf_keywords(tc, jieba_idf={}, median_idf=10.0, alpha=1.0)  # the upload as its own corpus: a tie
    assert alone.weight.tolist() == [0.5, 0.5]


def test_tfidf_of_empty_counts_is_an_empty_frame():
    kw = tfidf_keywords(_frame([]), jieba_idf={}, median_idf=10.0)
    assert kw.empty and list(kw.columns) == ["report_id", "term", "weight", "rank", "method"]


@pytest.fixture(scope="module")
def seed_term_counts():
    seg, stop = build_segmenter(), load_stopwords()
    rows = []
    for path in SEEDS:
        text = normalize_width(path.read_text(encoding="utf-8"))
        counts = count_terms(text.split("\n"), seg, stop)
        rows += [(path.stem[:3], term, n, pos) for (term, pos), n in counts.items()]
    return _frame(rows)


def test_tfidf_on_the_seeds_finds_each_reports_subject(seed_term_counts):
    idf, median = load_jieba_idf()
    kw = tfidf_keywords(seed_term_counts, jieba_idf=idf, median_idf=median, top_k=10)
    top = {rid: list(g.sort_values("rank").term) for rid, g in kw.groupby("report_id")}
    assert {"潍坊高新区", "对标"} <= set(top["000"][:5])  # study tour to Weifang
    assert "长沙高新区" in top["003"][:3]  # study tour to Changsha
    assert "两谷一港一中心" in top["004"][:3]  # the 两谷一港一中心 mobilisation meeting
    assert {"工业强区", "产业兴区"} <= set(top["002"])  # 山亭's slogan
    assert not set().union(*top.values()) & load_stopwords()


def test_textrank_on_a_seed_report(seed_term_counts):
    text = normalize_width(SEEDS[4].read_text(encoding="utf-8"))
    tagged = content_terms(build_segmenter().tag(text), load_stopwords())
    top = [w for w, _ in textrank(tagged, top_k=15)]
    assert {"企业", "产业", "项目"} <= set(top[:5])
    assert "两谷一港一中心" in top


def test_textrank_tolerance_keeps_the_ranking_of_a_tight_one():
    # The default tolerance (TEXTRANK_TOL) stops earlier than 1e-6: on every seed file
    # the top 20 are the same terms in the same order, and no weight moves by 1e-4.
    assert TEXTRANK_TOL == 1e-4
    for path in SEEDS:
        tagged = content_terms(build_segmenter().tag(normalize_width(path.read_text(encoding="utf-8"))), load_stopwords())
        loose, tight = textrank(tagged), textrank(tagged, tol=1e-6)
        assert [w for w, _ in loose] == [w for w, _ in tight]
        assert max(abs(a - b) for (_, a), (_, b) in zip(loose, tight)) < 1e-4
        assert loose != tight  # fewer steps: not the same floats


def test_tfidf_on_a_large_corpus_ranks_top_20_per_report():
    # Speed is measured in bench/, not here.
    # 2,000 reports x 300 terms (600k rows) from a 20,000-word vocabulary.
    rng = np.random.default_rng(0)
    n_reports, per_report = 2_000, 300
    vocab = np.array([f"词{i}" for i in range(20_000)], dtype=object)
    terms = np.concatenate([rng.choice(len(vocab), per_report, replace=False) for _ in range(n_reports)])
    tc = pd.DataFrame({
        "report_id": np.repeat([f"r{i}" for i in range(n_reports)], per_report),
        "term": vocab[terms], "count": rng.integers(1, 20, len(terms)), "pos": "n",
    })
    idf, median = load_jieba_idf()
    kw = tfidf_keywords(tc, jieba_idf=idf, median_idf=median)
    assert len(kw) == n_reports * 20 and kw.groupby("report_id")["rank"].max().eq(20).all()
    assert not math.isnan(kw.weight.sum())


def _textrank_plain(tagged_terms, window=5, top_k=20, damping=0.85, max_iter=100, tol=TEXTRANK_TOL):
    """TextRank as first written (ids by setdefault, 64-bit pair keys, both directions of
    every edge sorted by (destination, source), bincount spreading): the reference for
    the faster pair building, sorting, spreading and top-k selection of `textrank`."""
    from analysis.keywords import TEXTRANK_POS

    allow = frozenset(TEXTRANK_POS)
    index: dict[str, int] = {}
    ids = np.array([index.setdefault(t, len(index)) for t, p in tagged_terms if p in allow], dtype=np.int64)
    n = len(index)
    if n == 0:
        return []
    pairs = [(ids[:-k], ids[k:]) for k in range(1, min(window, len(ids)))]
    scores = np.ones(n)
    if pairs:
        a, b = np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs])
        a, b = a[a != b], b[a != b]
        keys, counts = np.unique(np.minimum(a, b) * n + np.maximum(a, b), return_counts=True)
        lo, hi = keys // n, keys % n
        src, dst = np.concatenate([lo, hi]), np.concatenate([hi, lo])
        weight = np.concatenate([counts, counts]).astype(float)
        if len(src):
            share = weight / np.bincount(src, weights=weight, minlength=n)[src]
            for _ in range(max_iter):
                new = (1 - damping) + damping * np.bincount(dst, weights=share * scores[src], minlength=n)
                converged = np.abs(new - scores).max() < tol
                scores = new
                if converged:
                    break
    scores = scores / scores.max()
    vocab = list(index)
    return [(vocab[i], float(scores[i])) for i in np.argsort(-scores, kind="stable")[:top_k]]


def _hand_made_reports():
    """Small reports at the edges: nothing to rank, one node, nodes without edges, ties."""
    n = lambda text: [(w, "n") for w in text.split()]  # noqa: E731
    return [
        [],
        [("不断", "d"), ("的", "uj")],  # no candidate word
        n("孵化器"),  # a single word
        n("孵化器 孵化器 孵化器"),  # one node, linked only to itself: no edges
        [("孵化器", "n"), ("不断", "d"), ("孵化器", "n")],  # one node once the filter is applied
        n("产业 园区"),  # two nodes, one edge
        n("甲 乙 丙 丁 戊 己 庚"),  # a chain longer than the window: ties broken by first occurrence
        n("甲 乙 甲 乙 丙 甲"),  # repeated pairs in both orders
        n("中心 甲 中心 乙 中心 丙 中心 丁 中心"),
        n(" ".join(f"词{i % 30}" for i in range(400))),  # a long cycle: pairs of equal scores
    ]


def test_textrank_equals_the_plain_version_to_the_bit():
    rng = np.random.default_rng(3)
    tags = ["n", "v", "x", "uj", "ns", "m"]
    cases = [content_terms(build_segmenter().tag(normalize_width(p.read_text(encoding="utf-8"))), load_stopwords())
             for p in SEEDS]
    cases += _hand_made_reports()
    # vocabularies on both sides of the 16-bit limit of the radix-sorted edges
    for n_terms, vocab in [(50, 5), (3000, 400), (70000, 33000), (200000, 90000)]:
        words = rng.integers(0, vocab, n_terms)
        cases.append([(f"w{w}", tags[w % len(tags)]) for w in words])
    for tagged in cases:
        assert textrank(tagged) == _textrank_plain(tagged)
    for window in (2, 3, 10):  # a window longer than some reports
        for tagged in _hand_made_reports():
            assert textrank(tagged, window=window, top_k=5) == _textrank_plain(tagged, window=window, top_k=5)
