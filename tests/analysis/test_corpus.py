"""Corpus TF-IDF (analysis/corpus.py) against the two implementations it must agree with:
the DuckDB SQL the build used before, and keywords.tfidf_keywords."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from analysis import build as build_mod
from analysis import keywords
from analysis.build import build
from analysis.store import open_snapshot, sql_source

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"

# The query the build ran before analysis/corpus.py (kept here as the reference).
OLD_KEYWORDS_SQL = """
  WITH tc AS (SELECT report_id, term, sum("count") AS c FROM {term_counts} GROUP BY ALL),
  n AS (SELECT count(*) AS n FROM {reports}),
  df AS (SELECT term, count(*) AS df FROM tc GROUP BY term),
  len AS (SELECT report_id, sum(c) AS total FROM tc GROUP BY report_id),
  scored AS (
    SELECT tc.report_id, tc.term,
      (tc.c / len.total) * ({alpha} * (ln((1 + n.n) / (1 + df.df)) + 1)
                          + (1 - {alpha}) * coalesce(j.idf, {median})) AS weight
    FROM tc JOIN len USING (report_id) JOIN df USING (term) CROSS JOIN n LEFT JOIN jieba_idf j USING (term)
  ),
  ranked AS (
    SELECT report_id, term, weight,
      row_number() OVER (PARTITION BY report_id ORDER BY weight DESC, term) AS rank
    FROM scored
  )
  SELECT report_id, term, weight, rank, 'tfidf' AS method FROM ranked WHERE rank <= {top_k}
  UNION ALL
  SELECT report_id, term, weight, rank, method FROM {textrank}
  ORDER BY report_id, method, rank
"""


@pytest.fixture(scope="module")
def seed_store(tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus") / "store"
    build([SEEDS], out, workers=1)
    return open_snapshot(out)


def test_keywords_equal_the_old_duckdb_query_row_for_row(seed_store):
    snap = seed_store
    idf, median = keywords.load_jieba_idf()
    con = duckdb.connect()
    con.register("jieba_idf", pa.table({"term": list(idf), "idf": list(idf.values())}))
    old = con.sql(OLD_KEYWORDS_SQL.format(
        term_counts=snap.sql_source("term_counts"), reports=snap.sql_source("reports"),
        textrank=sql_source(snap.path / "_textrank.parquet"),
        alpha=build_mod.TFIDF_ALPHA, median=median, top_k=build_mod.TFIDF_TOP_K,
    )).to_arrow_table()
    new = snap.read("keywords")
    assert new.num_rows == old.num_rows > 0
    for col in ("report_id", "term", "rank", "method"):
        assert new[col].to_pylist() == old[col].to_pylist(), col
    # Same float operations in the same order: equal weights, not just close ones.
    assert new["weight"].to_pylist() == old["weight"].to_pylist()


def test_tfidf_rows_agree_with_the_numpy_reference(seed_store):
    snap = seed_store
    tc = snap.read("term_counts").to_pandas()
    idf, median = keywords.load_jieba_idf()
    ref = keywords.tfidf_keywords(tc, jieba_idf=idf, median_idf=median, alpha=build_mod.TFIDF_ALPHA,
                                  top_k=build_mod.TFIDF_TOP_K)
    kw = snap.read("keywords")
    kw = kw.filter(pc.equal(kw["method"], "tfidf")).to_pandas()
    ref = ref.sort_values(["report_id", "rank"]).reset_index(drop=True)
    kw = kw.sort_values(["report_id", "rank"]).reset_index(drop=True)
    assert kw[["report_id", "term", "rank"]].equals(ref[["report_id", "term", "rank"]])
    assert kw["weight"].to_numpy() == pytest.approx(ref["weight"].to_numpy(), rel=1e-12)


def test_hidden_tf_table_is_term_counts_summed_over_speakers_and_pos(seed_store):
    snap = seed_store
    tf = pq.read_table(snap.path / "_tf.parquet").to_pandas()
    tc = snap.read("term_counts").to_pandas()
    expected = tc.groupby(["report_id", "term"])["count"].sum()
    got = tf.set_index(["report_id", "term"])["count"]
    assert got.index.is_unique
    assert got.sort_index().equals(expected.sort_index())


def test_an_empty_corpus_gives_an_empty_keywords_table(tmp_path):
    from analysis.corpus import write_keywords

    assert write_keywords([], [], 0, tmp_path / "keywords.parquet", alpha=0.5, top_k=20)["rows"] == 0
    kw = pq.read_table(tmp_path / "keywords.parquet")
    assert kw.num_rows == 0 and kw.column_names == ["report_id", "term", "weight", "rank", "method"]


def test_jieba_idf_arrays_hold_the_same_table_and_median_as_the_dict():
    from analysis.corpus import jieba_idf_arrays

    terms, values, median = jieba_idf_arrays()
    idf, dict_median = keywords.load_jieba_idf()
    assert terms.to_pylist() == list(idf)
    assert values.tolist() == list(idf.values())
    assert median == dict_median


def test_candidates_decide_a_report_while_its_kth_still_weighs_more_than_its_bound():
    """_from_candidates, top 2: r1's changed term falls behind two others that still
    weigh more than anything left out (0.2): decided from its candidates; r2's second
    best is now below its bound: r2 must be scored from its rows; r3 holds no changed
    term; r4 had nothing left out (bound -inf), so its candidates always decide."""
    from analysis.corpus import CAND_SCHEMA, _from_candidates

    inf = float("-inf")
    candidates = pa.table({
        "report_id": ["r1", "r1", "r1", "r2", "r2", "r3", "r3", "r4"],
        "term": ["甲", "乙", "丙", "丁", "戊", "乙", "丙", "甲"],
        "count": [10, 5, 4, 6, 3, 2, 1, 1], "total": [100, 100, 100, 100, 100, 10, 10, 1],
        "weight": [0.5, 0.4, 0.3, 0.6, 0.25, 0.9, 0.8, 3.0], "bound": [0.2, 0.2, 0.2, 0.24, 0.24, 0.1, 0.1, inf],
    }, schema=CAND_SCHEMA)
    changed_idf = pa.table({"term": ["甲", "丁"], "idf": [2.0, 1.0]})
    kw, cand, short = _from_candidates(candidates, changed_idf, 2)
    assert short == {"r2"}
    assert kw.to_pydict() == {
        "report_id": ["r1", "r1", "r4"], "term": ["乙", "丙", "甲"], "weight": [0.4, 0.3, (1 / 1) * 2.0],
        "rank": [1, 2, 1], "method": ["tfidf"] * 3,
    }
    # every candidate of a decided report is kept, the changed one with its new weight
    assert cand.column("term").to_pylist() == ["乙", "丙", "甲", "甲"]
    assert cand.column("weight").to_pylist() == [0.4, 0.3, (10 / 100) * 2.0, 2.0]
    assert cand.column("bound").to_pylist() == [0.2, 0.2, 0.2, inf]


def test_a_rarer_term_tying_with_a_reports_bound_rescores_it(tmp_path):
    """R's rows all weigh the same (count 1, df 1 and unknown to jieba), so its bound
    equals its keywords' weight. When the other report holding "a" is replaced by one
    without it, "a" becomes as rare as R's other terms: at an equal weight it comes
    first (ties go by term), so R's keywords change although no row passed its bound."""
    from analysis.corpus import KEYWORDS_SCHEMA, Changes, write_keywords

    def tf(rows):
        return pa.table({"term": [t for _, t, _ in rows], "report_id": [r for r, _, _ in rows],
                         "count": pa.array([c for _, _, c in rows], pa.int64())})

    def parts(name, tables):
        paths = [tmp_path / f"{name}-{k}.parquet" for k in range(len(tables))]
        for path, table in zip(paths, tables):
            pq.write_table(table, path)
        return paths

    r = [("R", f"t{i:02d}", 1) for i in range(1, 15)] + [("R", "a", 1)]
    s, s2 = [("S", "a", 1), ("S", "x", 3)], [("S2", "y", 3), ("S2", "z", 1)]
    textrank = parts("tr", [KEYWORDS_SCHEMA.empty_table()] * 2)
    args = dict(alpha=0.5, top_k=2)
    write_keywords(parts("old", [tf(r), tf(s)]), textrank, 2, tmp_path / "kw0.parquet", **args,
                   df_out=tmp_path / "df0.parquet", cand_out=tmp_path / "cand0.parquet")
    new = parts("new", [tf(r), tf(s2)])
    changes = Changes(tmp_path / "kw0.parquet", tmp_path / "df0.parquet", 2, tmp_path / "cand0.parquet")
    changes.note(tf(s), added=False)
    changes.note(tf(s2), added=True)
    changes.linked_parts = {0}
    assert write_keywords(new, textrank, 2, tmp_path / "kw1.parquet", **args, changes=changes)["incremental"]
    write_keywords(new, textrank, 2, tmp_path / "full.parquet", **args)
    full = pq.read_table(tmp_path / "full.parquet")
    assert full.filter(pc.equal(full["report_id"], "R"))["term"].to_pylist() == ["a", "t01"]
    assert pq.read_table(tmp_path / "kw1.parquet").equals(full)
