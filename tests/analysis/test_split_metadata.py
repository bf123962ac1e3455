"""Splitting files into reports and reading their metadata, pinned on every seed file.

Expected values were read off the seed texts by hand (see the bylines and headlines).
"""

from pathlib import Path

import pytest

from analysis.clean import clean_text
from analysis.gazetteer import load_gazetteer
from analysis.metadata import inherit_file_district, paragraph_speakers, parse_byline, parse_date, report_metadata
from analysis.split import restore_column_order, split_reports

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
GAZ = load_gazetteer()


def reports_of(prefix: str):
    text = clean_text(next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8"))
    drafts = split_reports(text)
    metas = [report_metadata(d, GAZ) for d in drafts]
    inherit_file_district(drafts, metas)
    return drafts, metas


def test_000_four_signed_reports():
    drafts, metas = reports_of("000")
    assert [d.title for d in drafts] == ["争当全区 “三次创业”主力军", "对标先进 着力提升全区干部素质能力", "对标先进 振兴美丽乡村", "完善创新机制 优化服务体系"]
    assert [m.speaker for m in metas] == ["李兵", "蒙婷", "焦军波", "王兵"]
    assert [m.position for m in metas] == ["党委书记", "副局长、机构编制工作办公室主任", "副局长", "副主任"]
    assert [m.organization for m in metas] == ["济宁高新控股集团", "济宁高新区人力资源管理局", "济宁高新区城乡统筹发展局", "济宁高新区综合保税区管委会"]
    assert {m.district for m in metas} == {"济宁高新区"}
    assert [m.benchmarks for m in metas] == [["潍坊高新区"], ["潍坊高新区"], ["潍坊高新区", "长沙高新区"], ["潍坊高新区"]]
    assert drafts[0].paragraphs[0].startswith("到潍坊高新区对标学习")


def test_001_one_web_article_with_date_and_source():
    drafts, metas = reports_of("001")
    assert len(drafts) == 1
    d, m = drafts[0], metas[0]
    assert (d.title, d.source, m.date) == ("济宁高新区", "科技部", "2016-01-11")
    assert m.speaker == ""
    assert m.district == "济宁高新区"
    # 赴上海漕河泾、武汉光谷、长沙麓谷等地考察学习: aliases resolve to canonical names.
    assert m.benchmarks == ["漕河泾开发区", "东湖高新区", "长沙高新区"]
    assert d.paragraphs[0].startswith("2015年,在发展环境极为复杂")


def test_002_two_newspaper_articles_reporters_and_quoted_leaders():
    drafts, metas = reports_of("002")
    assert [d.title for d in drafts] == [
        "拓视野 借良方 增信心 我区党政考察团赴日照潍坊济宁考察学习",
        "全区聚焦“工业强区、产业兴区”改革攻坚突破座谈会召开",
    ]
    assert [d.reporters for d in drafts] == [["宋伟"], ["孙伟", "高翔翔", "丁浩", "陈梦喆"]]
    assert [m.speaker for m in metas] == ["", ""]  # reporters are never speakers
    assert [m.district for m in metas] == ["山亭区", "山亭区"]
    assert metas[0].benchmarks == ["东港区", "寒亭区", "潍城区", "邹城市", "任城区"]
    assert "东港区" in metas[1].benchmarks
    speakers = metas[1].paragraph_speakers
    assert speakers.count("毕志伟") == 5 and speakers.count("刘宗国") == 1
    assert speakers[0] == ""  # the news lead quotes nobody
    assert not drafts[0].paragraphs[0].startswith("本报讯")
    assert drafts[0].paragraphs[-1].endswith("积极谋划下步工作创新之路。")  # (宋伟) moved to reporters


def test_003_three_reports_under_a_banner_with_column_order_restored():
    drafts, metas = reports_of("003")
    assert [m.speaker for m in metas] == ["李越峰", "罗会涛", "徐言朋"]
    assert [d.title for d in drafts] == ["守正创新，激情奋进", "对标麓谷，创新发展", "对标先进地区，再鼓发展干劲"]
    assert all(m.benchmarks == ["长沙高新区"] for m in metas)
    assert all(m.district == "济宁高新区" for m in metas)
    # The banner 近赶潍坊 远学长沙 / 比学赶超 is not a report and not in any text.
    assert not any("比学赶超" in p for d in drafts for p in d.paragraphs)
    # Each report now opens with its dated introduction, and the sentence that the
    # column wrap cut in two is whole again.
    assert drafts[0].paragraphs[0].startswith("4月14日-15日，通过对长沙高新区考察学习")
    assert any("采取领导班子带头学、专家学者辅助学" in p for p in drafts[0].paragraphs)
    assert drafts[1].paragraphs[0].startswith("4月14-16日，跟随考察组一行赴长沙高新区考察学习")
    assert any("目前管委会聘任人员数量400余人" in p for p in drafts[1].paragraphs)
    assert drafts[2].paragraphs[0].startswith("为学习借鉴先进地区发展经验")
    assert any("战略性新兴产业发展，不断提高履约率" in p for p in drafts[2].paragraphs)


def test_004_one_meeting_report_with_reporters():
    drafts, metas = reports_of("004")
    assert len(drafts) == 1
    assert drafts[0].title == ""  # the text has no headline: left empty, not invented
    assert drafts[0].reporters == ["李蕊", "邓超"]
    assert metas[0].district == "济宁高新区"
    assert "本报记者" not in drafts[0].paragraphs[-1]


def test_column_order_is_left_alone_when_text_reads_in_order():
    paras = ["4月14日，赴长沙考察学习。", "一、体会。", "二、打算。"]
    assert restore_column_order(paras) == paras


@pytest.mark.parametrize(
    "byline, expected",
    [
        ("济宁高新区党工委宣传部部长 李越峰", ("李越峰", "部长", "济宁高新区党工委宣传部")),
        ("湖南省省长 毛伟明", ("毛伟明", "省长", "湖南省")),
        ("国务院总理　李克强", ("李克强", "总理", "国务院")),
        ("自治区人民政府主席 包钢", ("包钢", "主席", "自治区人民政府")),
    ],
)
def test_parse_byline(byline, expected):
    assert parse_byline(byline) == expected


@pytest.mark.parametrize(
    "text, iso",
    [("2016年01月11日", "2016-01-11"), ("2026年2月3日", "2026-02-03"), ("4月14日", ""), ("2021年4月", "2021-04"), ("", "")],
)
def test_parse_date_never_invents_a_year(text, iso):
    assert parse_date(text) == iso


def test_quoted_words_without_a_named_post_are_not_speakers():
    paras = ["会议指出,要抓落实。", "区委书记张三、区长李四出席。", "张三强调,要抓项目。", "要抓作风。", "李四指出,要抓安全。", "会上通报了情况。"]
    assert paragraph_speakers(paras, "") == ["", "", "张三", "张三", "李四", ""]


# --- shortcuts that must not change what is found -----------------------------------


def _seed_paragraphs() -> list[str]:
    return [p for path in sorted(SEEDS.glob("*.txt")) for d in split_reports(clean_text(path.read_text(encoding="utf-8")))
            for p in d.paragraphs]


def test_benchmarked_districts_equals_looking_at_every_sentence():
    from analysis import resources as R
    from analysis.metadata import benchmarked_districts
    from analysis.sentences import sentence_spans

    def plain(paragraphs):
        # every sentence on its own: its places within CUE_REACH of a cue (after 走进 only),
        # then no city or province that holds another place found
        seen = {}
        for para in paragraphs:
            for start, end in sentence_spans(para):
                sentence = para[start:end]
                cues = [(0 if m.group() in R.CUE_LEADING else R.CUE_REACH, m) for m in R.BENCHMARK_CUE.finditer(sentence)]
                places = GAZ.find(sentence)
                # lists of places: only separators between them
                runs, run = [], [0] if places else []
                for i in range(1, len(places)):
                    if R.PLACE_LIST_GAP.fullmatch(sentence[places[i - 1].end : places[i].start]):
                        run.append(i)
                    else:
                        runs.append(run)
                        run = [i]
                runs.append(run)
                for run in runs:
                    learner = any(not (places[i].start and sentence[places[i].start - 1] in R.LEARNT_MARKS) and any(
                        m.group().startswith(R.LEARNER_CUES) and places[i].end <= m.start()
                        and R.LEARNER_GAP.fullmatch(sentence[places[i].end : m.start()]) for _, m in cues) for i in run)
                    near = any(any(m.start() - before <= places[i].start and places[i].end <= m.end() + R.CUE_REACH
                                   for before, m in cues) for i in run)
                    if near and not learner:  # a list learns, or is learnt from, as a whole
                        for i in run:
                            seen.setdefault(places[i].district)
        return [d for d in seen if not any(d in GAZ.ancestors(other) for other in seen)]

    paragraphs = _seed_paragraphs() + ["赴长沙高新区考察。潍坊高新区", "学习。长沙经验", "向济宁高新区看齐；对标麓谷",
                                       "借鉴潍坊高新区、潍坊的经验", "淄博琉璃艺术展走进国家博物馆", "走进寒亭区",
                                       "徐州高新区将学习苏州经验", "到潍坊高新区对标学习", "济宁高新区赴潍坊高新区考察",
                                       "先后到日照市东港区、潍坊市寒亭区、潍城区，济宁市邹城市、任城区等地考察学习",
                                       "徐州高新区、淮安高新区将学习苏州工业园区经验"]
    assert benchmarked_districts(paragraphs, GAZ) == plain(paragraphs)
    for para in paragraphs:
        assert benchmarked_districts([para], GAZ) == plain([para])
    assert benchmarked_districts(["借鉴潍坊高新区、潍坊的经验"], GAZ) == ["潍坊高新区"]  # not also 潍坊市
    assert benchmarked_districts(["淄博琉璃艺术展走进国家博物馆", "走进寒亭区"], GAZ) == ["寒亭区"]


def test_post_words_are_found_at_every_position_as_the_look_ahead_finds_them():
    from analysis import metadata as M

    texts = ["\n".join(_seed_paragraphs()), "区委书记毕志伟，副区长张三、党工委副书记李四主任", ""]
    for text in texts:
        want = [(m.start(), m.start() + len(m.group(1))) for m in M._POST_AT.finditer(text)]
        assert [m.span() for m in M._posts_at(text)] == want


def test_meeting_line_shortcut_agrees_with_the_pattern():
    import random

    from analysis import resources as R
    from analysis.split import _is_meeting_line

    rng = random.Random(3)
    pieces = ["——", "（", "(", " ", "2026年2月3日", "二〇二六年一月二十七日", "在", "湖南省", "人民代表大会", "会议", "會議",
              "上", "）", ")", "。", "，", "第四次"]
    for _ in range(20000):
        line = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 10)))
        assert _is_meeting_line(line) == bool(R.MEETING_LINE.match(line)), line


def test_sentence_mentions_equal_finding_sentence_by_sentence():
    import random

    from analysis.metadata import _sentence_mentions
    from analysis.sentences import sentence_spans

    def plain(para):
        out = []
        for s, e in sentence_spans(para):
            if found := GAZ.find(para[s:e]):
                out.append((s, e, [(m.district, m.start + s, m.end + s) for m in found]))
        return out

    rng = random.Random(4)
    pieces = ["济宁", "山亭区", "长沙高新区", "潍坊市寒亭区", "。", "，", " ", "\n", "对标", "x", "区"]
    paragraphs = [*_seed_paragraphs(), "山亭区" * 500, "x" + "济宁" * 700, "长沙高新区" * 300 + "。山亭区"]
    paragraphs += ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 30))) for _ in range(5000)]
    for para in paragraphs:
        got = [(s, e, [(m.district, m.start, m.end) for m in ms]) for s, e, ms in _sentence_mentions(para, GAZ.find(para), GAZ)]
        assert got == plain(para), para

