"""The per-file unit of work: one file's bytes to rows of every file-scope table."""

from pathlib import Path

from analysis.pipeline import Resources, analyse_file, merge_names
from analysis.schema import TABLES

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def test_merge_names_glues_a_split_byline_name_back():
    tagged = [("焦", "nr"), ("军波", "nr"), ("强调", "v"), ("焦", "nr")]
    assert merge_names(tagged, {"焦军波"}) == [("焦军波", "nr"), ("强调", "v"), ("焦", "nr")]
    assert merge_names(tagged, set()) == tagged


def test_analyse_file_gives_rows_for_every_file_table():
    data = next(SEEDS.glob("000_*.txt")).read_bytes()
    rows = analyse_file(data, "seeds/000.txt", Resources())
    assert {n for n, t in TABLES.items() if t.scope == "file"} <= set(rows)
    assert rows["files"][0]["status"] == "ok" and rows["files"][0]["n_reports"] == 4
    assert [r["speaker"] for r in rows["reports"]] == ["李兵", "蒙婷", "焦军波", "王兵"]
    # Every target sentence is found in its paragraph, and every span in its sentence.
    paras = {(p["report_id"], p["paragraph_no"]): p["text"] for p in rows["paragraphs"]}
    for t in rows["targets"]:
        assert t["sentence"] in paras[(t["report_id"], t["paragraph_no"])]
        assert t["span"] in t["sentence"]
    money = [(t["value"], t["unit"], t["hedge"]) for t in rows["targets"] if t["indicator"] == "新增融资到位"]
    assert money == [(20.0, "亿元", ""), (30.0, "亿元", "力争")]
    # Words are attributed to the report's speaker.
    assert {r["speaker"] for r in rows["term_counts"]} == {"李兵", "蒙婷", "焦军波", "王兵"}


def test_unreadable_file_gives_one_files_row_with_the_reason_and_nothing_else():
    rows = analyse_file(b"", "empty.txt", Resources())
    assert rows["files"][0]["status"] == "skipped"
    assert rows["files"][0]["message"] == "empty.txt: empty file"
    assert all(not rows[n] for n in rows if n != "files")


def test_hidden_tf_table_is_the_plain_count_of_terms_for_either_engine():
    # _tf is read off the (term, pos) counts when every term has one tag; counted from
    # the terms otherwise (glued byline names, the jieba engine's tagging in context).
    from collections import Counter
    from itertools import chain

    from analysis.pipeline import build_context, tf_columns

    for engine in ("rjieba", "jieba"):
        res = Resources(engine=engine)
        for path in sorted(SEEDS.glob("*.txt")):
            ctx = build_context(path.read_bytes(), path.name, res)
            want = {"report_id": [], "term": [], "count": []}
            for r in ctx.reports:
                counts = Counter(t for t, _ in chain.from_iterable(p.terms for p in r.paragraphs))
                want["report_id"] += [r.report_id] * len(counts)
                want["term"] += counts.keys()
                want["count"] += counts.values()
            assert tf_columns(ctx) == want, (engine, path.name)
            assert all(r.one_tag_per_term == (engine == "rjieba") for r in ctx.reports) or engine == "rjieba"


def test_tf_table_converted_or_projected_from_term_counts_is_the_same():
    # to_tables takes _tf from the term_counts table when their columns hold the same
    # values (a chunk of one-speaker reports), and converts it otherwise: same table
    # either way. The seeds have both kinds (a meeting report quotes several speakers).
    import pyarrow as pa

    from analysis.pipeline import analyse_file_columns, extend_columns, table_schema, to_tables

    res = Resources()
    projected = 0
    for path in sorted(SEEDS.glob("*.txt")):
        cols: dict = {}
        extend_columns(cols, analyse_file_columns(path.read_bytes(), path.name, res))
        tables = to_tables(cols)
        direct = pa.table(cols["_tf"], schema=table_schema("_tf"))
        assert tables["_tf"].equals(direct) and tables["_tf"].schema.equals(direct.schema)
        projected += cols["_tf"]["term"] == cols["term_counts"]["term"]
    assert 0 < projected < len(list(SEEDS.glob("*.txt")))


def test_report_terms_paragraph_terms_and_themes_equal_the_plain_per_paragraph_ones():
    # The pipeline looks a report's terms up in one pass (line breaks kept as marks),
    # slices them per paragraph, picks the cues of every paragraph out of the whole
    # report and hands TextRank the report's terms with the marks: each against the
    # plain computation, paragraph by paragraph, with and without the per-token memos
    # filled (second pass), byline names glued or not.
    from itertools import chain

    from analysis import keywords, segment
    from analysis.normalize import normalize_width
    from analysis.pipeline import build_context, name_starts
    from analysis.themes import paragraph_themes

    res = Resources()
    for _ in range(2):
        for path in sorted(SEEDS.glob("*.txt")):
            ctx = build_context(path.read_bytes(), path.name, res)
            names = {s for r in ctx.reports for s in [r.meta.speaker, *r.meta.paragraph_speakers] if s}
            for r in ctx.reports:
                assert segment.split_lines(r.terms, len(r.paragraphs) - 1, segment.LINE_BREAK) == [p.terms for p in r.paragraphs]
                for p in r.paragraphs:
                    tagged = merge_names(res.segmenter.tag(normalize_width(p.text)), names, name_starts(names))
                    assert p.terms == segment.content_terms(tagged, res.stopwords)
                    assert p.themes == paragraph_themes([t for t, _ in p.terms], res.theme_index)
                plain = list(chain.from_iterable(p.terms for p in r.paragraphs))
                assert keywords.textrank(r.terms) == keywords.textrank(plain)
    assert segment.LINE_BREAK[1] not in keywords.TEXTRANK_POS


def test_hand_made_reports_equal_the_plain_rule_paragraph_by_paragraph():
    # _report looks the report's terms up in one pass, finds the paragraphs' ends among
    # the terms' strings, picks every paragraph's cues out in one pass and scores them;
    # term_counts counts per speaker. Each against the plain rule, paragraph by
    # paragraph, on hand-made reports: empty paragraphs first and inside, punctuation
    # only, numbers only, a byline name cut in two (马 / 发展: glued back, the per-paragraph
    # path) or kept whole (焦军波), one speaker, speakers in turn, one after another,
    # paragraphs without a speaker; with cold and warm per-token memos.
    from collections import Counter
    from itertools import product

    from analysis import segment
    from analysis.metadata import ReportMeta
    from analysis.normalize import normalize_width
    from analysis.pipeline import FileContext, _report, _Staged, name_starts, term_count_columns
    from analysis.split import ReportDraft
    from analysis.themes import paragraph_themes

    glued = ["", "马发展强调，要加快发展科技创新和产业发展", "。。。，；", "", "焦军波指出：推进招商引资，优化营商环境",
             "！", "2023年 56%", "生态环保，生态环保，科技创新", ""]
    whole = [p.replace("马发展", "焦军波") for p in glued]
    names = {"马发展", "焦军波"}
    starts = name_starts(names)
    turns = [["甲"] * 9, ["甲", "乙", "甲", "乙", "乙", "甲", "丙", "甲", "乙"], ["甲"] * 4 + ["乙"] * 5, ["", "甲"] * 4 + [""]]
    res = Resources()
    for _ in range(2):
        for paragraphs in (glued, whole):
            for speakers, cut_whole in product(turns, (True, False)):
                draft, meta = ReportDraft(paragraphs=paragraphs), ReportMeta(speaker="甲", paragraph_speakers=speakers)
                staged = _Staged.of(draft, meta, res)
                # The report cut in one call (as the build does) and paragraph by paragraph.
                words = res.segmenter.cut(staged.norm) if cut_whole and staged.one_call else None
                r = _report("ab" * 32, 1, staged, words, names, starts, res)
                plain = [segment.content_terms(merge_names(res.segmenter.tag(normalize_width(p)), names, starts), res.stopwords)
                         for p in paragraphs]
                assert [p.terms for p in r.paragraphs] == plain
                assert [p.themes for p in r.paragraphs] == [paragraph_themes([t for t, _ in terms], res.theme_index) for terms in plain]
                assert [p.start for p in r.paragraphs] == [sum(len(q) + 1 for q in paragraphs[:k]) for k in range(len(paragraphs))]
                assert r.terms == [t for k, terms in enumerate(plain) for t in [segment.LINE_BREAK] * (k > 0) + terms]
                assert r.one_tag_per_term == (paragraphs is whole)
                counts = Counter((s, t, pos) for s, terms in zip(speakers, plain) for t, pos in terms)
                want = {"report_id": [r.report_id] * len(counts), "speaker": [s for s, _, _ in counts],
                        "term": [t for _, t, _ in counts], "count": list(counts.values()), "pos": [pos for _, _, pos in counts]}
                assert term_count_columns(FileContext("f", "ab" * 32, 0, reports=[r]), res) == want
    assert any(p.themes for p in r.paragraphs)


def test_fingerprint_follows_the_dictionaries_and_the_analysis_code(tmp_path, monkeypatch):
    import shutil

    from analysis import pipeline

    dict_dir = tmp_path / "dictionaries"
    shutil.copytree(pipeline.Resources().dict_dir, dict_dir)
    code_dir = tmp_path / "code"
    code_dir.mkdir()
    (code_dir / "targets.py").write_text("RULE = 1\n", encoding="utf-8")
    digest = pipeline.code_digest.__wrapped__  # uncached: the test edits the code between calls
    monkeypatch.setattr(pipeline, "code_digest", lambda: digest(code_dir))
    res = pipeline.Resources(dict_dir=dict_dir)
    first = res.fingerprint()
    assert res.fingerprint() == first  # stable
    (code_dir / "targets.py").write_text("RULE = 2\n", encoding="utf-8")
    second = res.fingerprint()
    assert second != first
    with open(dict_dir / "stopwords.txt", "a", encoding="utf-8") as f:
        f.write("新停用词\n")
    assert res.fingerprint() not in (first, second)
    assert pipeline.Resources(engine="jieba", dict_dir=dict_dir).fingerprint() != res.fingerprint()


def test_a_file_not_in_chinese_is_named_and_not_made_a_report():
    readme = ("# gov-work-reports — Chinese 政府工作报告\n\nExternal, third-party text that this project did not write. "
              "Use it to test the analysis on real reports.\n") * 20
    rows = analyse_file(readme.encode(), "SOURCE.md", Resources())
    assert rows["files"][0]["status"] == "skipped" and not rows["reports"]
    assert rows["files"][0]["message"].startswith("SOURCE.md: not Chinese text (about 4% of its characters are Chinese)")
    # a Chinese report with an English abstract is still a report
    mixed = "Abstract: the zone grew fast this year.\n" * 3 + "2024年，全区地区生产总值增长6.5%，力争明年增长7%以上，新增高新技术企业50家。" * 6
    assert analyse_file(mixed.encode(), "mixed.txt", Resources())["reports"]


def test_stored_target_columns_are_the_quantity_fields_after_start_and_end():
    # target_columns stores targets.quantity_rows' tuples without their first two fields.
    from dataclasses import fields

    from analysis import targets
    from analysis.pipeline import _TARGET_FIELDS

    assert [f.name for f in fields(targets.Quantity)][:2] == ["start", "end"]
    assert [f.name for f in fields(targets.Quantity)][2:] == _TARGET_FIELDS


def test_the_build_driver_does_not_compile_the_target_patterns():
    # A one-file rebuild's driver never extracts targets: importing the build must not
    # import targets.py (~0.07 s of compiling patterns on the rebuild's critical path).
    import subprocess
    import sys

    code = "import sys, analysis.build, analysis.__main__; assert 'analysis.targets' not in sys.modules, 'imported'"
    subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2], check=True)
