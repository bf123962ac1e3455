"""The gazetteer: the national divisions beside the curated districts, and the name index
that finds them."""

import random
from pathlib import Path

import pytest

from analysis.gazetteer import DIVISIONS_CSV, NameIndex, load_gazetteer
from analysis.metadata import benchmarked_districts, home_district
from analysis.scan import longest_word_pattern
from analysis.split import ReportDraft

GAZ = load_gazetteer()


def districts(text: str) -> list[str]:
    return [m.district for m in GAZ.find(text)]


# --- the name index finds what the longest-first alternation finds -------------------


def _spans_by_pattern(names, text):
    return [m.span() for m in longest_word_pattern(names).finditer(text)]


def test_name_index_equals_the_alternation_on_the_national_names():
    names = list(GAZ.canonical)
    index = NameIndex(names)
    rng = random.Random(7)
    pattern = longest_word_pattern(names)
    for _ in range(3000):
        # whole names, their beginnings (a name cut at the end of the text) and endings,
        # next to each other and to other text, short (titles) and long (paragraphs)
        parts = [rng.choice([rng.choice(names), rng.choice(names)[: rng.randint(1, 3)], rng.choice(names)[1:], "，", "x"])
                 for _ in range(rng.randint(0, 40))]
        text = "".join(parts)
        assert index.spans(text) == [m.span() for m in pattern.finditer(text)], text


def test_name_index_reads_text_with_a_lone_surrogate():
    text = "济宁高新区" + "\ud800" + "，" * 80 + "潍坊高新区"
    assert [m.district for m in GAZ.find(text)] == ["济宁高新区", "潍坊高新区"]


def test_name_index_one_character_and_astral_names():
    names = ["沪", "沪苏", "上海市", "𠀋城", "甲乙丙"]
    index = NameIndex(names)
    for text in ["沪", "沪苏湖", "上海市沪", "在𠀋城和沪", "甲乙", "x" * 80 + "沪苏" + "甲乙丙", "", "上海"]:
        assert index.spans(text) == _spans_by_pattern(names, text), text
    long_text = "，".join(["上海市", "沪", "甲乙"] * 40)
    assert NameIndex(["沪", "上海市"]).spans(long_text) == _spans_by_pattern(["沪", "上海市"], long_text)


# --- what the national divisions add -------------------------------------------------


def test_every_prefecture_and_county_is_there_with_its_city_and_province():
    assert sum(1 for line in DIVISIONS_CSV.read_text(encoding="utf-8").splitlines() if not line.startswith("#")) > 3000
    assert districts("2024年昆山市政府工作报告") == ["昆山市"]
    assert districts("济宁市任城区、济宁任城区、任城区") == ["任城区"] * 3
    assert districts("济宁、济宁市、延边州、延边朝鲜族自治州") == ["济宁市", "济宁市", "延边朝鲜族自治州", "延边朝鲜族自治州"]
    assert GAZ.ancestors("任城区") == ["济宁市", "山东省"]
    assert GAZ.ancestors("济宁高新区") == ["济宁市", "山东省"]  # a curated zone in the national tree
    assert GAZ.ancestors("山东省") == []


def test_every_city_has_its_zones():
    # 苏州高新区 is in no statistical list: made for every city, lying in it
    assert districts("对标苏州高新区、昆山高新区和苏州经开区") == ["苏州高新区", "昆山高新区", "苏州经济技术开发区"]
    assert GAZ.ancestors("昆山高新区") == ["昆山市", "苏州市", "江苏省"]
    # a curated zone takes the spellings of the generated row naming it
    assert districts("济宁市高新区") == ["济宁高新区"]
    assert districts("合作高新区") == []  # 合作市's name is a common word: no zones made for it


def test_a_name_several_divisions_share_is_found_with_its_city_only():
    assert districts("北京市朝阳区") == ["朝阳区（北京）"]
    assert districts("长春朝阳区") == ["朝阳区（长春）"]
    assert districts("朝阳区") == []


def test_common_phrases_and_short_names_are_not_places():
    # 和县 in 城市和县城, 海城市 in 沿海城市, 兴城市 in 新兴城市, 长治 in 长治久安, 中山 in 孙中山
    for text in ["统筹城市和县城建设", "沿海城市", "新兴城市", "长治久安", "孙中山先生", "安康", "建设新城区", "老城区改造"]:
        assert districts(text) == [], text
    assert districts("安康市") == ["安康市"]  # the full name still is
    # not_places.txt: phrases holding a name that name no place
    for text in ["人民币汇率在合理、均衡水平上基本稳定", "提高复合肥料的比重", "向往的伟大理想", "美丽江苏", "确保山区群众",
                 "顺应城市发展规律", "六盘"]:
        assert districts(text) == [], text
    assert districts("衡水、合肥、大理、丽江，六盘水") == ["衡水市", "合肥市", "大理白族自治州", "丽江市", "六盘水市"]


def test_a_curated_row_replaces_the_generated_one():
    # districts.csv names 济宁高新区 with 济宁高新技术产业开发区 among its aliases; the
    # generated row of that zone gives way, so the name is found once, as the curated one
    assert districts("济宁高新技术产业开发区") == ["济宁高新区"]
    assert districts("威海火炬高技术产业开发区") == ["威海高新区"]
    assert "潍坊高新区" in GAZ.curated and "昆山市" not in GAZ.curated  # only curated names go to the tokenizer


def test_overlay_and_bare_rows_from_files(tmp_path: Path):
    curated = tmp_path / "districts.csv"
    curated.write_text("name,aliases,level,parent\n甲高新区,甲区|甲开发区,高新区,甲市\n", encoding="utf-8")
    generated = tmp_path / "divisions.csv"
    generated.write_text("# comment\nname,aliases,level,parent,code,bare\n"
                         "甲开发区,,开发区,甲市,1,yes\n甲市,甲,地级市,乙省,2,yes\n城区（甲）,甲市城区,区,甲市,3,no\n",
                         encoding="utf-8")
    g = load_gazetteer(curated, generated)
    assert [m.district for m in g.find("甲开发区在甲市城区，甲高新区")] == ["甲高新区", "城区（甲）", "甲高新区"]
    assert g.find("城区") == [] and g.ancestors("城区（甲）") == ["甲市", "乙省"]
    assert load_gazetteer(curated, None).find("甲市") == []


def test_a_dictionary_folder_without_divisions_falls_back_and_an_empty_one_turns_it_off(tmp_path: Path):
    from analysis.pipeline import Resources

    folder = tmp_path / "dicts"
    folder.mkdir()
    for name in ("districts.csv", "userdict.txt", "stopwords.txt", "themes.toml", "traditional.txt"):
        (folder / name).write_bytes((DIVISIONS_CSV.parent / name).read_bytes())
    fallback = Resources(dict_dir=folder)
    assert [m.district for m in fallback.gazetteer.find("昆山市")] == ["昆山市"]
    before = fallback.fingerprint()
    (folder / "divisions.csv").write_text("name,aliases,level,parent,code,bare\n", encoding="utf-8")
    off = Resources(dict_dir=folder)
    assert off.gazetteer.find("昆山市") == []
    assert off.fingerprint() != before  # a build with it analyses every file again
    assert [m.district for m in fallback.gazetteer.find("均衡水平，衡水")] == ["衡水市"]  # not_places.txt falls back too


# --- the home district and the districts learnt from, with the national names --------


def test_a_county_report_gets_its_county_from_the_title():
    assert home_district(ReportDraft(title="2024年昆山市政府工作报告", paragraphs=["各位代表："]), "", GAZ) == "昆山市"


def test_a_district_lying_in_the_city_named_more_often_is_home():
    # the 济宁 of 济宁创新谷 and 济宁资本中心 is the city the zone lies in, not the speaker
    zone = ReportDraft(paragraphs=["12日上午，任城区召开全区工作会议。", "会议部署了重点工作。",
                                   "济宁创新谷、济宁资本中心加快建设。", "济宁数谷投入运营，济宁会展中心开工。"])
    assert home_district(zone, "", GAZ) == "任城区"  # 3 against 济宁市's 4: at least a third
    city = ReportDraft(paragraphs=["济宁市召开全市工作会议。", "济宁市委部署了重点工作。",
                                   "济宁市经济平稳运行。", "任城区、兖州区项目开工。"])
    assert home_district(city, "", GAZ) == "济宁市"  # 任城区 once against 济宁市's 7


@pytest.mark.parametrize("title, home", [
    ("济宁高新区赴潍坊高新区考察学习", "济宁高新区"),  # the place after 赴 is visited, not home
    ("对标长沙高新区 建设一流园区", ""),
    ("我区党政考察团赴日照潍坊济宁考察学习", ""),
])
def test_the_title_names_home_but_not_the_places_it_visits(title, home):
    assert home_district(ReportDraft(title=title, paragraphs=["会议强调，要抓好落实。"]), "", GAZ) == home


def test_places_learnt_from_are_near_a_cue_and_the_most_precise_ones():
    assert benchmarked_districts(["学习借鉴昆山市、江阴市的经验，对标苏州工业园区。"], GAZ) == ["昆山市", "江阴市", "苏州工业园区"]
    # 深圳 is 40 characters before the 考察 of 极地考察: not learnt from
    assert benchmarked_districts(["加快筹设深圳海洋大学，推进国家海洋综合试验场、冷泉生态系统、国家深海科考中心、极地考察国内基地等创新平台建设。"], GAZ) == []
    # 潍坊 beside 潍坊高新区: the zone, not also its city
    assert benchmarked_districts(["赴潍坊高新区考察，潍坊的经验值得学习。"], GAZ) == ["潍坊高新区"]


def test_the_reports_table_lists_each_district_with_the_divisions_it_lies_in():
    from analysis.pipeline import Resources, analyse_file

    seeds = Path(__file__).resolve().parents[2] / "seeds"
    res = Resources()
    regions = {}
    for path in sorted(seeds.glob("*.txt")):
        for row in analyse_file(path.read_bytes(), path.name, res)["reports"]:
            regions[row["district"]] = row["regions"]
    assert regions["济宁高新区"] == ["济宁高新区", "济宁市", "山东省"]
    assert regions["山亭区"] == ["山亭区", "枣庄市", "山东省"]
    assert regions.get("", []) == []


def test_a_report_does_not_learn_from_the_city_it_lies_in():
    paragraphs = ["我们将主动对接徐州，学习借鉴江阴市、张家港市的发展经验。"]
    assert benchmarked_districts(paragraphs, GAZ, exclude="邳州市") == ["江阴市", "张家港市"]
    assert benchmarked_districts(paragraphs, GAZ) == ["徐州市", "江阴市", "张家港市"]


@pytest.mark.parametrize("sentence, learnt_from", [
    ("下一步，徐州高新区将学习苏州经验。", ["苏州市"]),  # the zone learns: it is not learnt from
    ("徐州高新区、淮安高新区将学习苏州工业园区经验。", ["苏州工业园区"]),  # a list learns as a whole
    ("济宁高新区赴潍坊高新区考察。", ["潍坊高新区"]),
    ("到潍坊高新区对标学习，深感震撼。", ["潍坊高新区"]),  # after 到: the place visited
    ("通过对长沙高新区考察学习，发现该区人员配备精良。", ["长沙高新区"]),
    ("先后到济宁市邹城市、任城区考察学习。", ["邹城市", "任城区"]),  # before 考察: visited
    # a list is learnt from as a whole, though the cue reaches only its last places
    ("先后到日照市东港区、潍坊市寒亭区、潍城区，济宁市邹城市、任城区考察学习。", ["东港区", "寒亭区", "潍城区", "邹城市", "任城区"]),
])
def test_the_place_that_learns_is_not_learnt_from(sentence, learnt_from):
    assert benchmarked_districts([sentence], GAZ) == learnt_from


def test_a_write_up_naming_its_zone_only_as_the_learner_gets_it_as_home():
    draft = ReportDraft(title="关于赴苏州工业园区、昆山高新区考察学习的报告", paragraphs=[
        "为学习借鉴先进地区发展经验，区委书记带领我区党政代表团赴苏州工业园区、昆山高新区考察学习。",
        "下一步，徐州高新区将学习苏州经验，力争到2025年高新技术企业达到300家。"])
    assert home_district(draft, "", GAZ) == "徐州高新区"
    assert benchmarked_districts(draft.paragraphs, GAZ, exclude="徐州高新区") == ["苏州工业园区", "昆山高新区"]


def test_a_parent_cycle_in_the_users_districts_does_not_hang(tmp_path: Path):
    curated = tmp_path / "districts.csv"
    curated.write_text("name,aliases,level,parent\n甲区,,区,乙区\n乙区,,区,甲区\n", encoding="utf-8")
    g = load_gazetteer(curated, None, None)
    assert g.ancestors("甲区") == ["乙区"]
    draft = ReportDraft(paragraphs=["甲区召开会议。乙区召开会议。", "甲区、乙区都在推进。"])
    assert home_district(draft, "", g) in ("甲区", "乙区")
