"""analysis.targets: quantities, their indicator, hedge, deadline and kind.

Expected values are literals checked by hand against the seed texts and the rules in the
module doc of analysis/targets.py.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.targets import Quantity, extract_quantities

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def seed_paragraph(name: str, first: str, last: str) -> str:
    """The seed text from `first` to the end of `last`, with page-break newlines removed
    (the cleaner rejoins them; this keeps the test independent of it)."""
    path = next(SEEDS.glob(f"{name}_*.txt"))
    text = re.sub(r"\s*\n\s*", "", path.read_text(encoding="utf-8"))
    i = text.index(first)
    return text[i : text.index(last, i) + len(last)]


def row(q: Quantity) -> tuple:
    return (q.span, q.indicator, q.value, q.value_max, q.unit, q.hedge, q.deadline, q.kind)


def rows(text: str) -> list[tuple]:
    return [row(q) for q in extract_quantities(text)]


def spans(text: str) -> list[str]:
    return [q.span for q in extract_quantities(text)]


# --- interface --------------------------------------------------------------------------


def test_quantity_fields_are_the_agreed_interface():
    names = [f.name for f in dataclasses.fields(Quantity)]
    assert names == [
        "start", "end", "sentence", "span", "indicator", "value", "value_max", "unit",
        "value_normalised", "unit_normalised", "hedge", "deadline", "kind",
    ]  # fmt: skip
    assert Quantity.__dataclass_params__.frozen


def test_offsets_and_slices_come_from_the_original_text():
    para = "前言。确保全区覆盖率达到５６％，年内完成；城镇新增就业１２０万人。"
    qs = extract_quantities(para)
    assert [(q.span, q.value, q.unit) for q in qs] == [("５６％", 56.0, "%"), ("１２０万人", 120.0, "万人")]
    for q in qs:
        assert para[q.start : q.end] == q.sentence
        assert q.span in q.sentence
    assert qs[0].sentence == "确保全区覆盖率达到５６％，年内完成；"


@pytest.mark.parametrize("text", ["", "没有数字的段落。", "\n\n"])
def test_empty_and_numberless_paragraphs(text):
    assert extract_quantities(text) == []


# --- the seeds ----------------------------------------------------------------------------


def test_seed_000_financing_target_gives_two_rows():
    p = seed_paragraph("000", "二、在资本融通上对标", "扮演好专业园区和工业地产建设运营商的角色。")
    assert rows(p) == [
        ("20亿元", "新增融资到位", 20.0, None, "亿元", "", "全年", "target"),
        ("30亿元", "新增融资到位", 30.0, None, "亿元", "力争", "全年", "target"),
    ]
    assert [q.value_normalised for q in extract_quantities(p)] == [2e9, 3e9]
    assert {q.unit_normalised for q in extract_quantities(p)} == {"元"}


def test_seed_000_rural_paragraph():
    p = seed_paragraph("000", "三是围绕乡村振兴战略", "提升城市文明程度和市民文明素质。")
    # 三年 (力争用三年的时间) is a deadline, not a row; 年内全面消除D类村 has no number.
    assert rows(p) == [
        ("2个", "省级“十百千”示范村创建工作", 2.0, None, "个", "", "三年", "target"),
        ("56%", "美丽乡村A类村覆盖率", 56.0, None, "%", "确保", "年内", "target"),
    ]


@pytest.mark.parametrize(
    "first, last",
    [
        ("到潍坊高新区对标学习", "奋力争当全区“三次创业”主力军。"),  # 第25位, 第21位, 第2位
        ("他山之石可以攻玉", "明确了方向也坚定了信心。"),  # 2天的行程
        ("为进一步学习借鉴潍坊高新区", "并总结了一系列经验及做法"),  # 4月14日-15日
        ("4月15日,管委会组织", "应该加强以下几个方面的工作:"),  # 近30年的发展
        ("1.创新思路加快济宁综合保税区申建进程。", "省商务厅按照海关总署要求,"),  # list number
    ],
)
def test_seed_000_paragraphs_without_quantities(first, last):
    assert spans(seed_paragraph("000", first, last)) == []


def test_seed_001_recap_of_2015():
    p = seed_paragraph("001", "面对经济下行压力较大的共性困难", "量增质更优。")
    # “2.0版”, “惠新1号”, 排名前三位 and 一系列 are not quantities.
    assert rows(p) == [
        ("225家", "帮助企业", 225.0, None, "家", "", "", "achievement"),
        ("22家", "选择主导产品国内行业细分领域市场占有率排名前", 22.0, None, "家", "", "", "achievement"),
        ("3.5亿元", "获批市级以上政策资金", 3.5, None, "亿元", "", "", "achievement"),
        ("2942亿元", "营业总收入", 2942.0, None, "亿元", "", "1-11月份", "achievement"),
        ("10.2%", "营业总收入增长", 10.2, None, "%", "", "1-11月份", "achievement"),
        ("628.7亿元", "工业增加值", 628.7, None, "亿元", "", "1-11月份", "achievement"),
        ("7.14%", "工业增加值增长", 7.14, None, "%", "", "1-11月份", "achievement"),
        ("346.4亿元", "固定资产投资", 346.4, None, "亿元", "", "1-11月份", "achievement"),
        ("16.2%", "固定资产投资增长", 16.2, None, "%", "", "1-11月份", "achievement"),
    ]
    norm = {q.span: q.value_normalised for q in extract_quantities(p)}
    assert norm["2942亿元"] == 2.942e11
    assert norm["628.7亿元"] == 6.287e10
    assert norm["10.2%"] == 10.2


def test_seed_001_industry_paragraph():
    p = seed_paragraph("001", "一是建设现代产业体系。", "成为全省首家专注资本市场的综合服务平台。")
    assert spans(p) == [
        "十多个", "12个", "79个", "40个", "4个", "30余个", "6个", "20支", "68个", "23家",
        "235项", "110项", "9100万元", "80家", "5家",
    ]  # fmt: skip
    by_span = {q.span: q for q in extract_quantities(p)}
    assert row(by_span["79个"]) == ("79个", "新上产业链项目", 79.0, None, "个", "", "", "achievement")
    assert row(by_span["40个"]) == ("40个", "项目", 40.0, None, "个", "", "", "achievement")  # PSS半导体等40个项目
    assert row(by_span["30余个"])[5] == "余"
    assert row(by_span["十多个"])[2:6] == (10.0, None, "个", "多")
    assert by_span["9100万元"].value_normalised == 9.1e7
    assert by_span["68个"].indicator == "新引进科技孵化项目(团队)"
    assert by_span["80家"].indicator == "机构"  # 80家机构率先入驻


def test_seed_002_meeting_commitments():
    p = seed_paragraph("002", "毕志伟强调,工业强区靠项目", "决不允许歪风邪气在山亭滋生。")
    # “7+3”, “521”, 八个方面, “三倒六个一”, 三个项目库, “五比五看” are not quantities.
    assert rows(p) == [
        ("75个", "紧盯重点项目", 75.0, None, "个", "", "", "target"),
        ("100%", "省定重点项目的开工率", 100.0, None, "%", "必须", "第二季度", "target"),
        ("50亿元", "招引", 50.0, None, "亿元", "以上", "", "target"),
    ]


def test_seed_002_tour_counts_are_context():
    p = seed_paragraph("002", "三天三市五地廿八个项目。", "启发良多。")
    assert rows(p) == [("廿八个", "项目", 28.0, None, "个", "", "", "context")]
    p = seed_paragraph("002", "我们抽出3天时间到5个区(市)考察学习", "值得我们学习:")
    # 3天 is a duration; 这五个区(市) points back at the 5个 already counted; 有五个方面 is abstract
    assert spans(p) == ["5个", "四个"]
    assert {q.kind for q in extract_quantities(p)} == {"context"}


def test_seed_002_header_has_no_quantities():
    p = seed_paragraph("002", "本报讯 今年是实施“十四五”规划开局之年", "谱写新篇?")
    assert spans(p) == []  # 十四五, 建党100周年, 三年攻坚突破行动


def test_seed_003_changsha_facts_are_context():
    p = seed_paragraph("003", "管委会聘任人员数量400余人", "按排名进行奖惩。")
    assert rows(p) == [
        ("400余人", "管委会聘任人员数量", 400.0, None, "人", "余", "", "context"),
        ("60%", "占总人数", 60.0, None, "%", "左右", "", "context"),
        ("4个", "省内其他国家级开发区", 4.0, None, "个", "", "", "context"),
    ]
    p = seed_paragraph("003", "全国首个北斗开放实验室", "累计转化成果2000余项。")
    assert rows(p) == [
        ("60多所", "知名高校", 60.0, None, "所", "多", "", "context"),
        # 中电48所 is a name; 累计 makes the 2000余项 an achievement (of Changsha: the
        # sentence does not name it, so it is not recognised as somebody else's).
        ("2000余项", "各类院所改制企业累计转化成果", 2000.0, None, "项", "余", "近5年来", "achievement"),
    ]


def test_seed_003_names_and_bare_amounts():
    p = seed_paragraph("003", "三是敢投资。", "直接给与投资。")
    assert spans(p) == []  # 20万的企业扶持: 万 with no unit after it
    p = seed_paragraph("003", "二、提升思想境界", "形成新材料产业的集群式发展格局。")
    assert rows(p) == [  # H2栋 is a building name
        ("4个", "片区", 4.0, None, "个", "", "", "context"),
        ("3平方公里", "总面积", 3.0, None, "平方公里", "", "", "context"),
    ]


def test_seed_004_work_plan():
    p = seed_paragraph("004", "抓紧抓实双基工作。", "集体经济薄弱村全部消除。")
    assert rows(p) == [
        ("11个", "攻坚集体经济薄弱村", 11.0, None, "个", "", "", "target"),
        ("3万元", "集体经济薄弱村", 3.0, None, "万元", "确保|以下", "年内", "target"),
    ]
    p = seed_paragraph("004", "年内要引进高层次人才80个", "人才平台净增13个以上。")
    assert rows(p) == [
        ("80个", "引进高层次人才", 80.0, None, "个", "", "年内", "target"),
        ("13个", "人才平台净增", 13.0, None, "个", "以上", "年内", "target"),
    ]


def test_seed_004_projects_and_risks_are_context():
    p = seed_paragraph("004", "狠抓项目落地。", "形成更多实物工作量。")
    assert rows(p) == [
        ("211个", "“双百工程”项目", 211.0, None, "个", "", "", "context"),
        ("2个", "纳入省重点的项目", 2.0, None, "个", "", "", "context"),
        ("6个", "新增的省优选项目", 6.0, None, "个", "", "", "context"),
        ("10个", "入选市新旧动能转换重大项目库的项目", 10.0, None, "个", "", "", "context"),
    ]
    p = seed_paragraph("004", "持续加大重大风险防控力度。", "对重点担保圈进行破圈解链。")
    assert rows(p) == [("225项", "风险点", 225.0, None, "项", "", "", "context")]  # 四大类: not a count


def test_seed_004_backlog_cases():
    p = seed_paragraph("004", "持续加大社会稳定防控力度。", "5年以上化解50%。")
    # 10年以上 / 5年以上 qualify the cases; only 50% is a quantity.
    assert rows(p) == [("50%", "5年以上化解", 50.0, None, "%", "确保", "", "target")]


@pytest.mark.parametrize(
    "first, last",
    [
        ("突出抓好500强招引。", "抓紧走出去、接上头。"),  # 500强 is a name
        ("全力打造四大产业集聚区。", "可督查、可考核。"),  # 四大, 五年规划, 每一年
        ("集中打造“两谷一港一中心”即", "济宁资本中心。"),
        ("今年3月份以来", "集中打造“两谷一港一中心”。"),
        ("抢抓大数据大变革机遇", "山东省数字经济创新示范区。"),  # “...”三个问题
    ],
)
def test_seed_004_paragraphs_without_quantities(first, last):
    assert spans(seed_paragraph("004", first, last)) == []


# --- hand-made sentences ---------------------------------------------------------------

CASES = [
    # a year next to a number; no cue word -> context
    ("2025年实现增长5%。", [("5%", "增长", 5.0, None, "%", "", "2025年", "context")]),
    (
        "到2025年，全区地区生产总值达到500亿元左右。",
        [("500亿元", "地区生产总值", 500.0, None, "亿元", "左右", "到2025年", "target")],
    ),
    # the 政府工作报告 target list, split by ； and ，
    (
        "今年发展的主要预期目标是：地区生产总值增长5%左右；城镇新增就业70万人，粮食产量615亿斤左右。",
        [
            ("5%", "地区生产总值增长", 5.0, None, "%", "左右", "今年", "target"),
            ("70万人", "城镇新增就业", 70.0, None, "万人", "", "今年", "target"),
            ("615亿斤", "粮食产量", 615.0, None, "亿斤", "左右", "今年", "target"),
        ],
    ),
    (
        "明年城镇调查失业率控制在5.5%以内，居民消费价格涨幅3%左右。",
        [
            ("5.5%", "城镇调查失业率", 5.5, None, "%", "控制在|以内", "明年", "target"),
            ("3%", "居民消费价格涨幅", 3.0, None, "%", "左右", "明年", "target"),
        ],
    ),
    # ranges
    (
        "力争引进项目20-30个，总投资20—30亿元，其中外资20至30亿元。",
        [
            ("20-30个", "引进项目", 20.0, 30.0, "个", "力争", "", "target"),
            ("20—30亿元", "总投资", 20.0, 30.0, "亿元", "力争", "", "target"),
            ("20至30亿元", "外资", 20.0, 30.0, "亿元", "力争", "", "target"),
        ],
    ),
    ("今年力争规上工业增加值增长5%-6%。", [("5%-6%", "规上工业增加值增长", 5.0, 6.0, "%", "力争", "今年", "target")]),
    (
        "地区生产总值增长4.5-5%，在实际工作中争取更好结果。",
        [("4.5-5%", "地区生产总值增长", 4.5, 5.0, "%", "", "", "target")],  # 争取 just after decides
    ),
    # Chinese numerals
    (
        "新建学校两所，引进企业三家，培育十余个创新平台。",
        [
            ("两所", "新建学校", 2.0, None, "所", "", "", "context"),
            ("三家", "引进企业", 3.0, None, "家", "", "", "context"),
            ("十余个", "培育创新平台", 10.0, None, "个", "余", "", "context"),
        ],
    ),
    ("全省经济增长百分之三十六点九。", [("百分之三十六点九", "经济增长", 36.9, None, "%", "", "", "context")]),
    # comparators and approximations
    (
        "投资不低于5000万元，面积超过3平方公里，招商近30个项目。",
        [
            ("5000万元", "投资", 5000.0, None, "万元", "不低于", "", "context"),
            ("3平方公里", "面积", 3.0, None, "平方公里", "超过", "", "context"),
            ("30个", "招商项目", 30.0, None, "个", "近", "", "context"),
        ],
    ),
    # achievements: a comparison after the value, 以来, 累计
    (
        "全市生产总值达到5.67万亿元、增长5.4%，好于预期。",
        [
            ("5.67万亿元", "生产总值", 5.67, None, "万亿元", "", "", "achievement"),
            ("5.4%", "生产总值增长", 5.4, None, "%", "", "", "achievement"),
        ],
    ),
    (
        "今年以来，全区新签约项目45个，总投资320亿元。",
        [
            ("45个", "新签约项目", 45.0, None, "个", "", "今年以来", "achievement"),
            ("320亿元", "总投资", 320.0, None, "亿元", "", "今年以来", "achievement"),
        ],
    ),
    # 累计 is written in plans too: no cue, so context
    (
        "“十四五”期间，累计完成投资1.5万亿元。",
        [("1.5万亿元", "累计完成投资", 1.5, None, "万亿元", "", "“十四五”期间", "context")],
    ),
    ("1979年全国在城镇安置了903万人就业。", [("903万人", "城镇安置", 903.0, None, "万人", "", "1979年", "achievement")]),
    # 预计 gives last year's preliminary figure, not a commitment
    ("预计全年地区生产总值增长5.2%。", [("5.2%", "地区生产总值增长", 5.2, None, "%", "", "全年", "context")]),
    # 争取 before a noun is securing funds (a recap), not a commitment
    (
        "争取中央预算内投资180亿元，比上年增长12%。",
        [
            ("180亿元", "中央预算内投资", 180.0, None, "亿元", "", "", "achievement"),
            ("12%", "中央预算内投资增长", 12.0, None, "%", "", "", "achievement"),
        ],
    ),
    # deadlines and forward cues
    ("年底前完成改造老旧小区1,200个。", [("1,200个", "改造老旧小区", 1200.0, None, "个", "", "年底前", "target")]),
    (
        "第二季度省定重点项目的开工率必须达到100%。",
        [("100%", "省定重点项目的开工率", 100.0, None, "%", "必须", "第二季度", "target")],
    ),
    (
        "各级政府要把新增就业１２０万人作为约束性指标。",
        [("１２０万人", "新增就业", 120.0, None, "万人", "", "", "target")],
    ),
    # somebody else's figure
    (
        "潍坊高新区经过近30年的发展，该区拥有企业500家。",
        [("500家", "拥有企业", 500.0, None, "家", "", "近30年", "context")],
    ),
    # a bare multiplier: a value, but no base unit to normalise to
    (
        "全省人口1.4亿，其中城镇人口8000万人。",
        [
            ("1.4亿", "人口", 1.4, None, "亿", "", "", "context"),
            ("8000万人", "城镇人口", 8000.0, None, "万人", "", "", "context"),
        ],
    ),
]


@pytest.mark.parametrize("text, expected", CASES, ids=[c[0][:16] for c in CASES])
def test_handmade_sentences(text, expected):
    assert rows(text) == expected


NOT_QUANTITIES = [
    "4月14日-15日到潍柴动力参观学习。",  # dates
    "一、在大局意识上对标。（三）加强干部培训。1.加快孵化器建设。",  # list numbers
    "2015年，济宁高新区保持了平稳健康发展态势。",  # a year
    "“十四五”规划开局之年，也是建党100周年。",  # plan name, anniversary
    "排名由第25位上升至第21位，进入全国前三位。",  # ranks
    "推行了“2.0版”综合措施，设立了“惠新1号”企业过桥基金，中电48所在高新区成立公司。",
    "以产学研H2栋楼为项目孵化研发区。",  # building name
    "围绕“7+3”现代产业体系，紧抓“521”企业培壮行动，突出抓好500强招引。",
    "建立“线索库”“签约库”“开工库”三个项目库，要聚力八个方面，各有两个突出问题。",
    "有五个方面值得学习，打造两谷一港一中心，谋划一区多园，抓好三条线管理体系。",
    "力争用三年的时间打造泗河生态带绿色发展新高地。",  # a duration
    "年内全面消除D类村。",  # no number
    "确保10年以上积案全面清仓。",  # a qualifier, not a count
    "对入孵项目直接给与20万的企业扶持。",  # 万 with no unit
    "数十个项目，几百家企业，一两个问题，三四个县。",  # vague counts
    "中央八项规定精神，省委十一届十次全会，实现两位数增长。",  # names
    "抓好一批项目，解决一个问题，开展一项调研。",  # 一 is never a count
    "启动了创业培训、创业大赛、社会孵化等七项工程。",  # a count summing up a list
    "以蓼河、海川路、崇文大道三条主线构建城市框架。",
    "虽然2天的行程紧张，用6个月时间完成。",  # durations
]


@pytest.mark.parametrize("text", NOT_QUANTITIES, ids=[t[:12] for t in NOT_QUANTITIES])
def test_not_quantities(text):
    assert spans(text) == []


@pytest.mark.parametrize(
    "text, value_normalised, unit_normalised",
    [
        ("完成投资30亿元。", 3e9, "元"),
        ("资助20万元。", 2e5, "元"),
        ("总额1.5万亿元。", 1.5e12, "元"),
        ("就业400万人。", 4e6, "人"),
        ("游客1.2亿人次。", 1.2e8, "人次"),
        ("比重56%。", 56.0, "%"),
        ("粮食615亿斤。", 6.15e10, "斤"),
        ("装机1.1亿千瓦。", 1.1e8, "千瓦"),
        ("提高5个百分点。", 5.0, "百分点"),
        ("项目80个。", 80.0, "个"),
        ("劳动生产率58万元/人。", 5.8e5, "元/人"),
        ("人口1.4亿。", None, ""),
    ],
)
def test_normalisation(text, value_normalised, unit_normalised):
    (q,) = extract_quantities(text)
    assert q.value_normalised == (pytest.approx(value_normalised) if value_normalised else None)
    assert q.unit_normalised == unit_normalised


def test_several_hedges_are_joined_in_text_order():
    (q,) = extract_quantities("确保年内3万元以下的集体经济薄弱村全部消除。")
    assert q.hedge == "确保|以下"
    (q,) = extract_quantities("力争城镇新增就业超过10余万人以上。")
    assert q.hedge == "力争|超过|余|以上"


def test_modal_hedge_only_for_targets():
    # 争取力度 ... 获批: the modal word is not about the achieved value.
    (q,) = extract_quantities("加大对上争取力度截止目前获批市级以上政策资金3.5亿元。")
    assert (q.kind, q.hedge) == ("achievement", "")


# --- robustness -------------------------------------------------------------------------

_ALPHABET = "0123456789.,-—%０１２５％一二两三十百千万亿余多个家项人元年月日第前每力争确保以上左右增长达到，。；、：“”《》（）A类村 \n"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=60))
def test_any_text_gives_consistent_rows(text):
    for q in extract_quantities(text):
        assert text[q.start : q.end] == q.sentence
        assert q.span and q.span in q.sentence
        assert q.kind in ("target", "achievement", "context")
        assert (q.value_normalised is None) == (q.unit_normalised == "")
        assert q.value_max is None or isinstance(q.value_max, float)


# --- the build's fast paths give what the straightforward code gives ------------------


def test_quantity_rows_are_the_fields_of_extract_quantities(seed_lines):
    from analysis.targets import quantity_rows

    for line in seed_lines:
        assert [Quantity(*row) for row in quantity_rows(line)] == extract_quantities(line)
        assert [dataclasses.astuple(q) for q in extract_quantities(line)] == quantity_rows(line)


def test_indicator_trim_strips_trailing_words_once_as_twice(seed_lines):
    # _trim strips the trailing level words (达到, 控制在 ...) before cutting the clause and
    # used to strip again after; the second strip can only differ across a line break.
    from analysis import targets as T
    from analysis.widths import width_forms

    def plain(w, a, b):
        b = T._strip_trail(w, a, b)
        for m in T._CUT_SCAN.finditer(w, a, b):
            a = max(a, m.end())
        for m in T._LIST_DENG.finditer(w, a, b):
            a = max(a, m.end())
        m = T._LEAD.match(w, a, b)
        a = m.end() if m else a
        return a, T._strip_trail(w, a, b)

    clauses = [width_forms(c)[1] for line in seed_lines for c in re.split(r"[，,；;：:。！？!?]", line) if c]
    clauses += ["全年确保达到", "要把\n达到", "实现\n达到", "力争达到了", "今年以来累计达到\n"]
    for w in clauses:
        for a in range(0, len(w), max(1, len(w) // 4)):
            assert T._trim(w, a, len(w)) == plain(w, a, len(w)), w


def test_post_noun_end_found_by_search_as_by_the_loop():
    import random

    from analysis import targets as T

    def plain(w, pos, e):
        a = pos + 1 if w[pos : pos + 1] == "的" else pos
        b = a
        while b < min(e, a + T._POST_MAX) and w[b] not in T._CLAUSE_MARKS and w[b] != "、":
            b += 1
        if b == a or not (w[a].isalpha() or w[a] == "“"):
            return a, a
        stop = T._POST_STOP_SCAN.search(w, a + 1, b)
        b = stop.start() if stop else b
        return a, b - 1 if b - a > 1 and w[b - 1] == "中" else b

    rng = random.Random(9)
    alphabet = list("的企业项目，,；;：:。！？!?\n、在中“家个5") + ["入驻", "全部"]
    for _ in range(20000):
        w = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        pos, e = rng.randint(0, len(w)), rng.randint(0, len(w))
        assert T._post_noun(w, pos, e) == plain(w, pos, e), (w, pos, e)


# Hand-made text for the time-phrase pre-checks: phrases of every alternative of
# _DEADLINE and _CUT, numbers in Chinese numerals only, 百分之X, full-width digits.
_TIME_TEXTS = [
    "到2025年底前,地区生产总值达到300亿元", "二〇二五年完成投资两千万元", "“十四五”期间新增就业5万人",
    "十四五末建成10个园区", "第三季度增长百分之五", "前三季度实现营收２０２５万元", "1-11月份,工业增加值628.7亿元",
    "１２月底前完成３个项目", "上半年引进企业八家", "今后五年内新建学校十所", "近3个月来新增两千户",
    "每季度走访企业二十家", "截至目前签约项目四十个", "当前在建项目三百个", "要把新增就业120万人作为约束性指标",
    "三年以上积案二十件", "全年粮食产量615亿斤", "年内建成5G基站一千个", "本年度投入资金三十亿元",
    "百分之三十六点九", "两千万元", "十个百分点", "五十五万人", "第五名", "２．５％", "１,３５０家",
]
_TIME_ALPHABET = "0123456789０１２５一二两三四五六七八九十〇零年月季度底末前内以来今明去后全上下半第个近未每期间时“”目当截止至到把份初万亿元家%"


def _time_phrase_texts():
    import random

    rng = random.Random(4)
    texts = list(_TIME_TEXTS)
    texts += ["".join(rng.choice(_TIME_ALPHABET) for _ in range(rng.randint(1, 30))) for _ in range(5000)]
    return texts


def test_every_time_phrase_holds_a_precheck_character():
    # _deadlines and _trim try _DEADLINE and _CUT only on text where _DEADLINE_CHARS and
    # _CUT_CHARS find a character: every match of the patterns must hold one.
    from analysis import targets as T
    from analysis.widths import width_forms

    for text in _time_phrase_texts():
        w = width_forms(text)[1]
        for pattern, chars in ((T._DEADLINE, T._DEADLINE_CHARS), (T._CUT, T._CUT_CHARS)):
            for m in pattern.finditer(w):
                assert chars.search(m.group()), (pattern is T._CUT, text, m.group())


def test_rows_with_the_time_phrase_prechecks_are_the_rows_without(monkeypatch, seed_lines):
    from analysis import targets as T

    texts = _time_phrase_texts() + seed_lines
    fast = [T.quantity_rows(t) for t in texts]
    deadline = [f.name for f in dataclasses.fields(Quantity)].index("deadline")
    assert sum(1 for rows in fast for row in rows if row[deadline]) > 100
    always = re.compile("")  # finds a (empty) match anywhere: the patterns are always tried
    monkeypatch.setattr(T, "_DEADLINE_CHARS", always)
    monkeypatch.setattr(T, "_CUT_CHARS", always)
    assert [T.quantity_rows(t) for t in texts] == fast


# Text for the per-quantity fast paths: clause marks, 、 between numerals or not, the
# words of _TRAIL, _ADJACENT and _MODAL, line breaks, numbers of both forms.
_CLAUSE_ALPHABET = list("，,；;：:。！？!?\n、一二三十两5０.,达到实现控制在为约近逾超大接了增长产业的") + [
    "达到", "控制在", "提高到", "不低于", "大约", "接近", "力争", "确保", "1,350", "三万五千",
]


def _clause_texts(seed: int, n: int = 20000) -> list[str]:
    import random

    rng = random.Random(seed)
    return ["".join(rng.choice(_CLAUSE_ALPHABET) for _ in range(rng.randint(1, 25))) for _ in range(n)]


def test_clause_start_found_by_one_match_as_by_the_loop():
    from analysis import targets as T

    def plain(w, lo, pos):  # the clause start walked back character by character
        for j in range(pos - 1, lo - 1, -1):
            if w[j] in T._CLAUSE_MARKS:
                return j + 1, w[j]
            between = 0 < j < len(w) - 1 and w[j - 1] in T._CN_SMALL and w[j + 1] in T._CN_SMALL
            if w[j] == "、" and not between:
                return j + 1, w[j]
        return lo, ""

    for w in _clause_texts(5) + ["一、二、三产业", "一、二、三", "、三", "甲、5"]:
        # pos is a value's first character (a digit or a numeral), as in _quantity
        for pos in (i for i, c in enumerate(w) if c.isdigit() or c in T._CN_FIRST):
            for lo in (0, pos // 2, pos):
                assert T._clause_start(w, lo, pos) == plain(w, lo, pos), (w, lo, pos)


def test_trailing_words_found_on_the_last_run_as_by_a_search_of_the_clause():
    from analysis import targets as T

    def plain(w, a, b):
        m = T._TRAIL.search(w, a, b)
        return m.start() if m else b

    for w in _clause_texts(6) + ["增长达到", "产业控制在\n", "\n", "达到\n", "实现了"]:
        for a in range(len(w) + 1):
            for b in (a, (a + len(w)) // 2, len(w)):
                assert T._strip_trail(w, a, b) == plain(w, a, b), (w, a, b)


def test_approximations_need_their_last_character_before_the_value():
    # _hedges looks for _ADJACENT only where the character before the value is one of
    # _ADJACENT_LAST: every match must leave one there.
    from analysis import targets as T

    for w in _clause_texts(7):
        for b in range(len(w) + 1):
            if T._ADJACENT.search(w, 0, b):
                assert w[b - 1] in T._ADJACENT_LAST, (w, b)


def test_numbers_opened_by_one_class_match_as_the_alternation():
    import random

    from analysis import targets as T

    lead, plain = re.compile(T._NUM_LEAD), re.compile(T._NUM)
    rng = random.Random(8)
    alphabet = list("0123456789０５一二两三四五六七八九十廿百千万亿零〇点點,.，个元") + ["1,350", "2,000,000"]
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 20)))
        for i in range(len(text)):
            got, want = lead.match(text, i), plain.match(text, i)
            assert (got and got.span()) == (want and want.span()), (text, i)


# A change or share with no subject of its own takes it from the sentence's previous value
# or from before a time phrase (gov-work report sentences, numbers as written there).
SUBJECTS = [
    ("2005年与2000年相比，国内生产总值增长57.3%，年均增长9.5%。", ["国内生产总值增长", "国内生产总值年均增长"]),
    ("全国进出口总额达到一千二百零一亿元，比上年增长39.7%，扣除价格和汇率变动因素，实际增长19.6%。",
     ["进出口总额", "进出口总额增长", "进出口总额实际增长"]),
    ("中央财政用于“三农”的支出五年累计1.6万亿元。", ["中央财政用于“三农”的支出累计"]),
    ("全国财政用于教育支出五年累计2.43万亿元，比前五年增长1.26倍。", ["财政用于教育支出累计", "财政用于教育支出累计增长"]),
    ("工业总产值达到五千亿元，比一九八○年增长百分之六十。", ["工业总产值", "工业总产值增长"]),
    ("国内财政收入1987年达到2243.6亿元，平均每年增长12.9%。", ["国内财政收入", "国内财政收入增长"]),
    ("累计使用外资比“十三五”时期增长71%。", ["累计使用外资增长"]),
    ("工业部门为248.5亿元，占58.2%；", ["工业部门", "工业部门占比"]),
    # a change "from" one level "to" another: both levels are of the subject before 由/从
    ("城镇化率由2012年的52.6%提高到2017年的58.5%。", ["城镇化率", "城镇化率"]),
    ("人口地区覆盖率，由1997年的65%提高到2002年的91%。", ["人口地区覆盖率", "人口地区覆盖率"]),
    ("森林覆盖率从21.6%提高到24.1%。", ["森林覆盖率", "森林覆盖率"]),
    ("由2012年的52.6%提高到2017年的58.5%。", ["", ""]),  # no subject: none, not the verb 提高到
    ("国营机械化农场由1954年的97个增加到106个。", ["国营机械化农场", "国营机械化农场"]),  # 个 增加到: no noun
    ("国务院组成部门从40个减少到29个。", ["国务院组成部门", "国务院组成部门"]),
    ("帮助225家企业。", ["帮助企业"]),  # a counter's noun, as before
    ("国内生产总值从不到70万亿元增加到超过100万亿元。", ["国内生产总值", "国内生产总值"]),  # 不到: a bound
    # nothing to take it from: kept as written
    ("比一九八○年增长百分之六十。", ["比一九八○年增长"]),
    ("今年累计完成投资100亿元。", ["累计完成投资"]),
    ("到2025年，达到100家。", [""]),
]


@pytest.mark.parametrize("text, indicators", SUBJECTS, ids=[t[:14] for t, _ in SUBJECTS])
def test_a_change_without_a_subject_takes_the_one_named_before(text, indicators):
    assert [q.indicator for q in extract_quantities(text)] == indicators


def test_the_change_precheck_admits_every_change_the_pattern_matches():
    import analysis.targets as t

    changes = [q + w for q in ["", *t._CHANGE_QUALIFIERS.split("|")] for w in t._CHANGE_WORDS.split("|")] + ["累计"]
    assert all(t._CHANGE_ONLY.match(c) for c in changes)
    assert all(len(c) <= t._CHANGE_MAX and c[-1] in t._CHANGE_LAST for c in changes)
    assert not t._CHANGE_ONLY.match("地区生产总值增长")  # a change with its own subject


@pytest.mark.parametrize("text, hedge", [("国内生产总值从不到70万亿元增加到100万亿元。", "不到"), ("贫困发生率不足5%。", "不足"),
                                         ("近30个项目落地。", "近")])
def test_a_bound_written_right_before_the_number_is_a_hedge(text, hedge):
    assert extract_quantities(text)[0].hedge == hedge


@pytest.mark.parametrize("text, values", [
    ("粮食产量33，212万吨，比上年增加2，737万吨。", [33212, 2737]),  # the 1980 report
    ("本年收入合计２７，２０３，３１９，０００元。", [27203319000]),  # the 1956 report, full-width digits
    ("ＧＤＰ达到１，２００亿元。", [1200]),
    ("分别增长5%，100家企业上市。", [5, 100]),  # after %: a clause comma
    ("新增企业12，1000家企业上市。", [1000]),  # four digits after it: a clause comma (not 121,000)
])
def test_a_full_width_comma_between_a_digit_and_three_digits_separates_thousands(text, values):
    assert [q.value for q in extract_quantities(text)] == values
