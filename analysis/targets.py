"""Quantities in report paragraphs: targets (commitments), achievements and context figures.

`extract_quantities(paragraph)` returns one `Quantity` per number-with-unit. It works on a
width-normalised copy of the paragraph (same length, so offsets map back) and slices
`sentence` and `span` out of the original text.

What counts as a quantity: a number (Arabic, or Chinese such as 两/十余/廿八, or 百分之X)
followed by a unit from `_BASE` (亿元, %, 个, 家, 万人 ...). Everything else is skipped:
years and dates (年/月/日 are not units), durations (3天, 6个月), ranks (第25位, 前三位),
per-unit rates (每万人), numbers glued to letters (H2栋, 5G), names (中电48所, 惠新1号,
2.0版, 500强), anything inside “...” or 《...》, and Chinese-numeral counts of abstract
items (四个方面, 两个突出问题) or of an enumeration just listed (A、B、C三条主线, “…”三个项目库).
The numeral 一 on its own (一批, 一个问题) is never a count, and a figure after 这/那 points
back at one already given (这八十亿元中), so it is skipped too.

Decisions (documented here and pinned by tests/analysis/test_targets.py):

- span: from the first digit to the end of the unit, including 余/多 written inside it
  ("400余人"); hedges before/after the number (力争, 以上, 左右) are in `hedge`, not span.
- hedge: the nearest modal word before the value in the sentence (力争, 确保, 争取, 必须,
  务必), comparators in the value's clause (不低于, 超过, 突破, 控制在 ...), 近/约/逾/不到/不足
  written right before the number, 余/多 inside it and 以上/以下/左右/以内 after it; in
  text order, joined by "|". 达到/实现 are plain verbs, never hedges.
- indicator: the noun phrase before the value, from the previous clause mark (，、；：) or
  the previous quantity, cut after the last time phrase (全年, 第二季度) or list 等, with
  leading scope/modal/connective words (全区, 确保, 要, 实现, 对 ...) and trailing level
  verbs/hedges (达到, 实现, 控制在, 提高到 ...) removed. Change verbs stay (增长, 下降,
  净增): "地区生产总值增长" is a growth rate, "地区生产总值" a level. Scope words are
  dropped, so 确保全区美丽乡村A类村覆盖率达到56% -> "美丽乡村A类村覆盖率".
  Content verbs stay: 引进高层次人才80个 -> "引进高层次人才".
  A value whose clause holds only a change verb (with 年均/实际/同比/累计, or after a
  comparison such as 比一九八○年) inherits the previous quantity's indicator:
  营业总收入2942亿元,增长10.2% -> "营业总收入增长"; 国内生产总值增长57.3%，年均增长9.5% ->
  "国内生产总值年均增长"; a bare share (占58.2%) -> "...占比". The first value of a
  sentence takes what stands before its time phrase instead: 用于“三农”的支出五年累计
  1.6万亿元 -> "用于“三农”的支出累计", 国内财政收入1987年达到2243.6亿元 -> "国内财政收入".
  Both levels of a change "from ... to ..." are the subject's, before 由/从 or its clause:
  覆盖率，由1997年的65%提高到2002年的91% -> "覆盖率" twice; a level verb after a value
  (增加到, 提高到) is never taken for its noun.
  An empty clause (a list such as 实现20亿元、力争30亿元) inherits the previous indicator as is.
  Counter units (个, 家, 项 ...) may precede their noun: 帮助225家企业 -> "帮助企业",
  纳入省重点的2个项目 -> "纳入省重点的项目", PSS半导体等40个项目 -> "项目".
- kind: from cue words. The nearest strong cue before the value in its sentence decides
  (target: 力争 确保 要 将 目标是 预期 年内 今年 到2030年 必须 下一步 ...; achievement:
  截至 已 获批 先后 同比 比上年 N年来 以来 1-11月份 ...); else a target cue or a
  comparison (比上年, 高于预期) right after it (within 24 characters: "实现20亿元、力争
  30亿元", "33.5万亿元，比上年增长8.7%"); else a weak cue before it in the sentence
  (了: achievement); else the nearest strong cue earlier in the paragraph (a target list
  split by ；). A sentence naming another place (该区, 他们, 考察地区 ...) before
  the value makes it context; so does no cue at all (recap figures in a paragraph with no
  past-tense cue stay context: precision over recall). 实现 and 达到 are written in both
  targets and results, so they are not cues.
- deadline: the nearest time phrase before the value in its sentence; else one within 12
  characters after it ("达到56%,年内"); else the nearest in the preceding sentences of a
  ；-chain ("1-11月份,...;工业增加值628.7亿元" -> 1-11月份).
- value_normalised: value times the 万/亿 multiplier, in the base unit (30亿元 -> 3e9 元,
  400万人 -> 4e6 人, 615亿斤 -> 6.15e10 斤, 80个 -> 80 个, 5个百分点 -> 5 百分点). A bare
  multiplier with no unit after it ("人口1.4亿") gives None and unit_normalised "".
"""

from __future__ import annotations

import bisect
import re
import string
from dataclasses import dataclass, field
from functools import lru_cache

from analysis.numerals import number_value
from analysis.scan import Scanner, chars_of, first_chars
from analysis.sentences import sentence_spans
from analysis.widths import width_forms


@dataclass(frozen=True)
class Quantity:
    start: int
    end: int
    sentence: str
    span: str
    indicator: str
    value: float
    value_max: float | None
    unit: str
    value_normalised: float | None
    unit_normalised: str
    hedge: str
    deadline: str
    kind: str


# --- numbers and units --------------------------------------------------------------

_CN = "零〇一二两三四五六七八九十廿百千"
# Arabic numbers: thousands groups only with an ASCII comma (the full-width clause comma is
# restored before matching, so "1,350" is a number and "5，6" is not).
_NUM_AR = r"\d{1,3}(?:,\d{3})+(?!\d)(?:\.\d+)?|\d+(?:\.\d+)?"
# Chinese numbers must start with a digit word, so 千家万户/百日会战 never start one;
# 万/亿 inside (三万五千) only when more digit words follow, else they are the multiplier.
_CN_FIRST = "一二两三四五六七八九十廿"
_CN_REST = r"[" + _CN + r"]*(?:[万亿][" + _CN + r"]+)*(?:[点點][〇零一二三四五六七八九]+)?"
_NUM_CN = rf"[{_CN_FIRST}]{_CN_REST}"
_NUM = rf"(?:{_NUM_AR}|{_NUM_CN})"
# _NUM written to start with one character class, a look-behind telling which form its
# first character opened (then the rest of _NUM_AR after its first digit, or of
# _NUM_CN): `re` skips to the possible starts of a pattern that opens with a class in C,
# but tries one that opens with an alternation at every position. Same matches
# (tests/analysis/test_targets.py).
_NUM_FIRST = rf"[\d{_CN_FIRST}]"
_NUM_LEAD_REST = rf"(?:(?<=\d)(?:\d{{0,2}}(?:,\d{{3}})+(?!\d)(?:\.\d+)?|\d*(?:\.\d+)?)|(?<!\d){_CN_REST})"
_NUM_LEAD = _NUM_FIRST + _NUM_LEAD_REST


def _scan_class(chars: str) -> str:
    """`[\\d{chars}]` written so that `re` scans text for it faster: with \\d in a class
    it tests each character's Unicode category too, here the decimal digits of the BMP
    are listed (one table look-up) and those beyond it (𝟎) let in by a range, then told
    apart by the look-behind. Same matches."""
    bmp = "".join(re.findall(r"\d", "".join(map(chr, range(0x10000)))))
    return rf"[{bmp}{chars}\U00010000-\U0010ffff](?<=[\d{chars}])"


_NUM_START = _scan_class(_CN_FIRST)  # _NUM_FIRST, scanned for faster
_MULT = r"万亿|千万|百万|亿|万"
# Base units, longest first. Look-aheads keep words that start with a unit character out
# (家庭, 人民, 支持, 项目, 所在, 位于, 种植, 台阶, 个月 ...): precision over recall.
_BASE = "|".join(
    [
        r"个百分点", r"百分点", r"%", r"‰",
        r"平方公里", r"平方千米", r"平方米", r"立方米", r"公里", r"千米", r"公顷", r"亩",
        r"千瓦时", r"千瓦", r"标准箱", r"标箱", r"微克/立方米",
        r"吨", r"公斤", r"千克", r"斤",
        r"美元", r"欧元", r"港元", r"元(?:/(?:人|吨|亩|平方米|户|年))?",
        r"人次", r"(?:场|架|班|车|航)次", r"人(?!民|均|大|才|工|员|士|们|心|性|事|物|选|次)",
        r"户(?!籍|口|外|型)", r"家(?!庭|乡|长|居|园|属|族|电|具|门|底|国|里|人|中)",
        r"个(?!月|工作日|小时|季度|星期|体|性|别|税|案|人)", r"项(?!目(?!标))",
        r"所(?!在|属|有|以|得|谓)", r"名(?!义|称|单|录|牌|字|片|列|次|气|胜|誉)",
        r"位(?!于|置|列)", r"支(?!持|付|出|部|柱|撑|援|流)", r"座(?!谈|位)",
        r"条(?!件|例|款|约)", r"件", r"场(?!所|景|地|馆)", r"次(?!要|数|序|日|年|级|生|贷|元|创|会|方|产|品)",
        r"台(?!阶|湾|州|风|账|上)", r"套(?!餐|路)", r"辆", r"批(?!准|复|次|发)",
        r"类(?!型|似|别)", r"种(?!植|子|业|养|类)", r"栋", r"处(?!理|置|于|长|室)",
        r"篇", r"款(?!项)", r"例(?!如|外|行)", r"艘", r"颗", r"倍",
    ]
)
_POST_HEDGE = r"以上|以下|左右|以内|上下|之内"


def _guarded(alternation: str) -> str:
    """`alternation` behind a look-ahead for the characters its matches can start with:
    most numbers are followed by none (2023年, 进一步), and `re` then fails it with one
    test instead of one per alternative. Same matches."""
    return rf"(?={first_chars(re.compile(alternation)).pattern})(?:{alternation})"


_G_MULT, _G_BASE = _guarded(_MULT), _guarded(_BASE)
_RANGE = rf"(?P<u1>%|(?:{_G_MULT})?(?:{_G_BASE}))?(?P<sep>-|—{{1,2}}|–|~|至|到)(?P<num2>{_NUM})"
# One quantity: number, optional range (20-30亿元, 5%—5.5%, 20至30亿元), 余/多 inside,
# multiplier, unit, trailing hedge. The unit is optional here; _qty_hit() decides.
_QTY_TAIL = (
    rf"(?:{_guarded(_RANGE)})?(?P<ap1>余|多)?(?P<mult>{_G_MULT})?(?P<ap2>余|多)?(?P<base>{_G_BASE})?"
    rf"(?P<post>{_guarded(_POST_HEDGE)})?"
)
_QTY = re.compile(rf"(?P<num>{_NUM_LEAD}){_QTY_TAIL}")
# _QTY's match at a position, found only where it has a unit (for _unit_matches). Nothing
# after the number can fail, so _QTY's match is the first choice of each part: the
# atomic groups `(?>...)` keep it, where backtracking could find a shorter one with a
# unit (5%至6年: not 5%), and the conditional fails it unless `base` or `mult` took part.
# The look-ahead fails at once a number followed by nothing a unit can start with
# (2023年, 进一步). Same groups as _QTY.
_QTY_UNIT = re.compile(
    rf"(?P<num>{_NUM_START}(?>{_NUM_LEAD_REST}))"
    rf"(?={first_chars(re.compile(f'{_RANGE}|余|多|{_MULT}|{_BASE}')).pattern})"
    rf"(?>{_QTY_TAIL})(?(base)|(?(mult)|(?!)))"
)


_QTY_CHARS = chars_of(_QTY.pattern)  # what a match of _QTY can run over
# The groups of _QTY and _QTY_UNIT in order: _qty_hit takes them with one m.groups()
# call instead of a look-up per name.
_QTY_GROUPS = ("num", "u1", "sep", "num2", "ap1", "mult", "ap2", "base", "post")
assert tuple(_QTY.groupindex) == tuple(_QTY_UNIT.groupindex) == _QTY_GROUPS

# 百分之二十, 百分之三十六点九 (older national reports write percentages this way).
_PCT_CN = re.compile(r"百分之(?P<num>[零〇一二两三四五六七八九十百点點]+|\d+(?:\.\d+)?)(?P<post>以上|以下|左右|以内)?")
_MULT_VALUE = {"万": 10**4, "亿": 10**8, "万亿": 10**12, "千万": 10**7, "百万": 10**6}
_UNIT_ALIAS = {"个百分点": "百分点", "平方千米": "平方公里", "千米": "公里", "千克": "公斤"}
_COUNTERS = set("个家项所名位支座条件场次台套辆批类种栋处篇款例艘颗户")

# Text that is a name, not a count: inside quotes or book-title marks (“三倒六个一”,
# 《…2021年工作要点》). Length caps keep an unbalanced quote from masking a paragraph.
_MASKED = re.compile(r"“[^”\n]{0,40}”|《[^》\n]{0,60}》|\"[^\"\n]{0,40}\"|「[^」\n]{0,40}」")
# A number glued to these is a code, version, rank or per-unit rate, not a count.
# 这/那 point back at a figure already given (这八十亿元中).
_BAD_BEFORE = re.compile(r"[A-Za-z0-9._/:#\-+]$|第$|前$|每$|这$|那$")
# What the character before a number is when _BAD_BEFORE finds one (`$` also matches
# before a final line break): most numbers follow none, told by a set look-up.
_BAD_BEFORE_LAST = frozenset(string.ascii_letters + string.digits + "._/:#-+第前每这那\n")
# Before a Chinese numeral these make it vague or a name: 数十个, 几百家, 星期三, 初三.
_BAD_BEFORE_CN = re.compile(r"[数几周初好再届点點]")
# 三四个, 一两个, 七八家: an approximate range, not a count.
_CN_PAIR = re.compile(r"[一二两三四五六七八九][一二两三四五六七八九]")
# Names that look like counts: 八项规定, 十次全会 (届次), 二人转, 两位数增长.
_NAME_AFTER = re.compile(r"项规定|次全会|次会议|次党代会|人转|位数|个代表|个现代化|个凡是|个基本点")
# Chinese-numeral counts of abstract items (四个方面, 两个突出问题, 八个方面).
_ABSTRACT = re.compile(
    r"(?:突出|重大|主要|关键|重要)?(?:方面|问题|环节|意识|自信|维护|确立|原则|关系|作用|毫不动摇|结合"
    r"|务必|大局|一百年|先行|同步|转变|层次|阶段|步|字|优先|并重|轮子|基本|坚持|文明|统筹|效益|目标"
    r"|任务|战略|理念|要素|机制|体系|优势|短板|难题|矛盾|抓手|导向|能力|思维|精神|主线|路径|支撑"
    r"|动力|引擎|清单|机遇|挑战|方针|保障|融合|循环|市场|文件|不|必须|心|字号|着力点|转型|高地|底线|资源"
    r"|超级大国|联合公报|中心|积极性|翅膀|拳头|轮|纵|横|主张|[一二两三四五六七八九十])"
)
# Arabic-numeral counts are kept unless the noun is plainly abstract (6个方面).
_ABSTRACT_CORE = re.compile(r"(?:突出|重大|主要|关键|重要)?(?:方面|环节|原则|关系)")

# --- cue words ------------------------------------------------------------------------

# 争取 is a commitment only before a result (争取更好结果, 争取实现); before a noun it is
# securing funds, which recaps report (争取中央预算内投资180亿元).
_ZHENGQU = r"争取(?=更|实现|达到|达|突破|超过|在|用|早|于|再|提前|全|年|\d)"
# 将 before a verb is "will" (将继续, 将加快); before a noun it marks the object, in recaps
# too (将增值税税率从17%降至13%).
_JIANG = (
    r"将(?=继续|进一步|加快|坚持|着力|全面|大力|积极|持续|推动|推进|实施|建成|建设|开展|围绕|以|在|把"
    r"|按照|聚焦|深入|力争|努力|不断|重点|更加|切实|完成|实现|达到|突破|新增|启动|打造|形成|提升|加强|会"
    r"|成为|迎来|进入|全力|集中|用|于|再|陆续|新建|投入|安排|组织|举办|出台|制定|研究|逐步|适时)"
)
# Forward-looking cues. 要 excludes the words it starts or ends (主要, 需要, 要求, 要素);
# 确保了 is past. Left out: 计划 and 努力 (吟龙培育计划, 经过努力 are names and
# recaps as often as commitments), 预计 (reports give last year's preliminary figures as
# 预计...达7.4万家), 稳预期 (a slogan) and 预期性指标.
_T_STRONG = (
    rf"力争|确保(?!了)|{_ZHENGQU}|(?<![主重需只纪摘必首简提扼险政不])要(?![求素点闻害是么事务件])"
    rf"|{_JIANG}|目标(?:是|为|[：:])|(?<!稳)预期(?!性)|(?<![模虚])拟|务必|必须|下一步|下步"
    r"|今后|明年|年内|(?:年底|年末|月底)前|今年(?!以来)|(?:到|至)(?:19|20)\d\d年(?!的)|力求|争创"
)
# Backward-looking cues. "高于预期" is listed before 预期 can match inside it.
_A_STRONG = (
    r"(?:好|高|快)于预期|超(?:过)?预期|超额完成|截至|截止|(?<![而不])已|获批|先后|同比|比上年"
    r"|较上年|比去年|上年同期|年来|以来|过去|去年|刚刚|回顾|荣获|获评|跃居|位居|居全国"
    r"|\d{1,2}(?:-|到|至)\d{1,2}月份?|前三季度"
)
# Achievement cues that look back at a value written before them (增长8.7%，比上年...).
_RETRO = re.compile(r"(?:好|高|快)于预期|超(?:过)?预期|超额完成|同比|比上年|较上年|比去年|上年同期|跃居|位居|居全国")
# One alternation so the leftmost cue wins where two overlap (高于预期 vs 预期).
# Weak cue: 了 (安置了903万人). No cue at all: 全年 opens recaps (全年地区生产总值增长4.9%)
# as often as plans, 累计 is written in targets too (累计建成...7000个以上).
_CUES = re.compile(rf"(?P<a>{_A_STRONG})|(?P<t>{_T_STRONG})|(?P<aw>(?<![为除罢受])了(?![解结却]))")
# The sentence is about somebody else (a benchmarked district, the hosts of a study tour).
_OTHER = re.compile(r"该区|该市|该县|该省|该园区|该公司|该集团|他们|对方|考察地区|先进地区")
_AFTER_WINDOW = 24

# --- deadlines ------------------------------------------------------------------------

_CN_SMALL = "一二两三四五六七八九十"
# Time phrases a quantity is due by or measured over. Years first so 2025年 is one phrase;
# a bare duration (三年, 近5年来) must not be a qualifier (10年以上积案, 五年级).
_DEADLINE = re.compile(
    r"(?:到|至|截至|截止)?(?:19|20)\d\d年(?:底前|底|末|前|内|以前|之前|以来)?"
    r"|(?:到|至)?[一二三四五六七八九〇零]{4}年(?:底|末|前|内)?"
    r"|“?十[一二三四五六]五”?(?:期间|时期|末|初|以来)"
    r"|今年以来|去年以来|全年|年内|年底前|年底|年末|年初|今年|明年|后年|当年|本年度"
    r"|[上下]半年|(?:第|前)?[一二三四1-4]季度|\d{1,2}(?:-|到|至)\d{1,2}月份?|\d{1,2}月(?:份以来|份|底前|底|末|以来)"
    r"|月底前|每年|每月|每季度"
    rf"|(?:今后|未来|近)?(?<![\d第前])(?:[{_CN_SMALL}]{{1,2}}|\d{{1,2}})(?:个月|年)(?:内|来|间)?"
    r"(?!以上|以下|多|余|级|度|代|前|后|轮|期|龄)"
)
# A time phrase written after the value counts only if it looks ahead: "达到56%,年内" yes,
# "10个项目,以及去年以来的..." no (it opens the next item).
_DEADLINE_AFTER = 12
_BACKWARD = re.compile(r"来|去年|截至|截止|上半年|前三季度|\d-\d")

# --- indicator trimming ---------------------------------------------------------------

_CLAUSE_MARKS = set("，,；;：:。！？!?\n")
# The last clause mark of a stretch (greedy `.*` backs off from its end in C): one of
# _CLAUSE_MARKS, or a 、 not between two numerals (一、二、三产业 is one item).
_LAST_CLAUSE_MARK = re.compile(
    rf"(?s:.*)([{re.escape(''.join(sorted(_CLAUSE_MARKS)))}]|、(?!(?<=[{_CN_SMALL}]、)[{_CN_SMALL}]))"
)
# Leading words that are not part of what is measured: list openers, scope, time,
# modality, connectives, plain verbs. Look-aheads keep 要素, 在建, 对外, 使用, 并购 whole.
_LEAD = re.compile(
    r"(?:[一二三四五六七八九十]+[是要]|的|\(|共计|首先|其次|再次|最后|同时|此外|另外|其中|特别是|尤其是|全区|全省"
    r"|全市|全县|全镇|全国|我区|我省|我市|我县|本区|本市|该区|该市|该县|全年|年内|今年|明年|力争|确保|争取|必须|务必"
    r"|要(?![求素点闻害])|将(?![军士领])|并(?![购表联网])|和|及(?![时早格])|且|与|对(?![外口象标接比话手应策])"
    r"|使(?![用馆命])|让"
    r"|在(?![建线岗校职途读册库营编押役场地外])|推动|促进|形成|实现(?![率值额量])|达到|完成(?![率值额量数])|全力|着力|尽快|努力|进一步"
    r"|继续|持续|不断|先后|已经|已|同比|比上年|较上年|比去年|分别|共(?![享同建产青用性识]))+"
)
# The characters a match of _LEAD can start with: three clauses in four start with none,
# told by a set look-up instead of a match call.
_LEAD_FIRST = frozenset(filter(first_chars(_LEAD).match, chars_of(_LEAD.pattern)))  # pattern parsed once
# Trailing level verbs and hedges (达到, 控制在, 提高到): the value is the level, the verb
# is not the indicator. Change verbs (增长, 下降) are kept.
_TRAIL = re.compile(
    r"(?:达到|达|实现|完成|为|是|至|到|突破|超过|超|不低于|不少于|不超过|不高于|不到|不足|保持在|控制在|稳定在"
    r"|(?:提高|提升|增加|增长|扩大|上升|下降|降低|减少|缩小|压缩|缩短)(?:到|至)|增至|降至|升至|近|约|逾"
    r"|力争|确保|争取|必须|务必|要|将|共|共计|总计|合计|约合|拥有|共有|已有|现有|有|了|由|从|这些|那些|这|那|其)+$"
)
# _TRAIL is a list of words: every character a match can hold is one of its pattern's.
_TRAIL_CHARS = frozenset(re.sub(r"[^\u4e00-\u9fff]", "", _TRAIL.pattern))
# A change with no subject of its own (年均增长9.5%, 实际增长19.6%), or a bare 累计: what
# changes is named before it, by the sentence's previous value or before a time phrase.
_CHANGE_WORDS = "增长|下降|提高|降低|增加|减少|上涨|上升|回落|增幅|增速|涨幅"
_CHANGE_QUALIFIERS = "年均|年平均|平均|实际|同比|累计"
_CHANGE_ONLY = re.compile(rf"^(?:(?:{_CHANGE_QUALIFIERS})?(?:{_CHANGE_WORDS})|累计)$")
_CHANGE_END = re.compile(rf"(?:{_CHANGE_QUALIFIERS})?(?:{_CHANGE_WORDS})$")
_CHANGE_MAX = 5  # 年平均增长
_CHANGE_LAST = frozenset(w[-1] for w in (_CHANGE_WORDS + "|累计").split("|"))
# What a change is compared with, before a bare change (比一九八○年增长, 比前五年增长):
# context, like 比上年 (_LEAD), once the change has a subject.
_COMPARED = re.compile(rf"^(?:比|较)[^，,。；;、]{{1,10}}?(?=(?:{_CHANGE_QUALIFIERS})?(?:{_CHANGE_WORDS})$)")
_COMPARED_WITH = re.compile(r"(?:比|较|与|同)?[“\"「《]*$")
# A share with no subject of its own: 工业部门为248.5亿元，占58.2% -> 工业部门占比.
_SHARE_ONLY = frozenset({"占", "占比", "所占比重", "比重"})
# 等 closing a list ("A、B、C等总投资45亿元"), not inside 高等/平等/等级.
_LIST_DENG = re.compile(r"(?<![高平同对均中初优次])等(?![级于待同额效])")
# Cut the indicator after these: time phrases, 截至目前 and the like, and 把 (要把新增就业
# 120万人作为约束性指标: what follows 把 is the object measured).
_CUT = re.compile(rf"{_DEADLINE.pattern}|截至目前|截止目前|目前|当前|截至|截止|把")
# The noun after a counter ends where a verb or preposition starts (80家机构率先入驻).
_POST_STOP = re.compile(
    r"(?<![所存现正实内外自])在|(?<![关属由对至基处等善易便])于|(?<![作行成认因])为|(?<![平温缓总柔])和"
    r"|(?<![普涉危以])及|(?<![主重需纪首])要|(?<!参)与|率先|接力|加快|完成|投产|投入|入驻|成功|设立"
    r"|成立|落户|全部|均|已|将|被|以及|等|进行|开展|参加|参与|获得|取得|实现|达到|合计|累计|分别|相继"
    r"|陆续|纷纷|正在|一同|同比|得到|纳入|列入|通过|建成|开工|竣工|签约|落地|上市|挂牌|认定|获批|获评"
    r"|荣获|实施|启动|推进|按照|根据|依托|围绕|向|把|给予|都|也|还|就|考察|作为|专门|负责|绝大多数|\d"
)
_POST_MAX = 20
_POST_END = re.compile("[" + "".join(map(re.escape, sorted(_CLAUSE_MARKS | {"、"}))) + "]")

# --- hedges ---------------------------------------------------------------------------

# Modal words: only the nearest one before the value in its sentence is kept.
_MODAL = re.compile(rf"力争|确保(?!了)|{_ZHENGQU}|必须|务必")
# Bounds, looked for in the value's own clause.
_COMPARATOR = re.compile(r"不低于|不少于|不超过|不高于|超过|突破|至少|控制在|最高|最低")
# Approximations written right before the number (近30个).
_ADJACENT = re.compile(r"(?:大约|接近|近|约|逾|超|不到|不足)$")
_ADJACENT_LAST = set("近约逾超到足\n")  # what the character before a value is when one matches

# Cheap pre-check: most paragraphs of a report hold no digit at all.
# One character class rather than an alternation: `re` then skips to candidates in C.
_HAS_NUMBER = re.compile(_NUM_START)  # [\d{_CN_SMALL}廿]
# Every time phrase holds 年, 月, 季 (季度) or 五 (十四五), and every cut word of an
# indicator is one or holds 目前/当前, 截至/截止 or 把: a stretch of text without these
# characters has none, found in C instead of trying the patterns at each digit
# (most sentences with a value and most clauses before one).
_DEADLINE_SET = "年月季五"
_CUT_SET = _DEADLINE_SET + "目当截把"
_DEADLINE_CHARS = re.compile(f"[{_DEADLINE_SET}]")
_CUT_CHARS = re.compile(f"[{_CUT_SET}]")


def _near(chars: str) -> str:
    """The condition "one of `chars` is the candidate's first character or one of the next
    six" (no line break before it): every time phrase holds one there, as `到2025年`,
    `截至2025年` (6 characters before 年) and `今后十二个月` (5) do."""
    return rf"(?:(?<=[{chars}])|(?=[^\n{chars}]{{0,5}}[{chars}]))"


# The long alternations are scanned from the characters their matches can start with
# (analysis/scan.py): same matches as finditer/search, several times faster. The digits
# and numerals of a sentence are candidates of the cue and time-phrase patterns, and
# most start none: each costs a `match` call from Python, so they are turned down in C
# where they cannot (a digit starts a cue only as in 1-11月份; a time phrase holds one of
# _DEADLINE_CHARS or _CUT_CHARS within its first seven characters).
_CUES_SCAN = Scanner(_CUES, after_first=r"(?:(?<!\d)|(?=\d?[-到至]\d))")
_DEADLINE_SCAN = Scanner(_DEADLINE, after_first=_near(_DEADLINE_SET))
_CUT_SCAN = Scanner(_CUT, after_first=_near(_CUT_SET))
_POST_STOP_SCAN = Scanner(_POST_STOP)


@dataclass(slots=True)
class _Hit:
    """A matched number-with-unit, offsets in the paragraph. Built ~30,000 times per 10 MB
    of text and its fields read ~25 times each: a slotted, unfrozen dataclass is built
    faster than a NamedTuple (a frozen dataclass's __init__ costs three times more) and
    its fields are read twice as fast."""

    start: int  # first character of the number
    unit_end: int  # end of the unit (end of `span`)
    end: int  # end including a trailing hedge (以上, 左右)
    value: float
    value_max: float | None
    value_normalised: float | None  # value times the multiplier, in the base unit
    mult: str
    base: str
    chinese: bool  # written in Chinese numerals
    hedges: tuple[tuple[int, str], ...]  # 余/多 inside, 以上/左右 after


@dataclass
class _Para:
    text: str  # original
    work: str  # width-normalised, same length
    mask_starts: list[int]
    mask_ends: list[int]
    spans: list[tuple[int, int]] = field(default_factory=list)  # sentences, once the paragraph has a hit
    cues: list[tuple[str, bool, bool]] = field(default_factory=list)  # (kind, strong, may look back)
    cue_pos: list[int] = field(default_factory=list)  # positions of `cues`, for bisect
    deadlines: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # per sentence index
    chain: dict[int, tuple[int, int] | None] = field(default_factory=dict)  # _chain_deadline's memo
    # Whether _OTHER occurs in the paragraph before `stop` at all (it rarely does: then no
    # value needs the search of its stretch of text).
    other: bool = True


def extract_quantities(paragraph: str, work: str | None = None) -> list[Quantity]:
    """All quantities of `paragraph`, in text order (see the module doc for the rules).

    `work` is the paragraph's width-normalised form (`widths.width_forms(paragraph)[1]`)
    when the caller has it already; it is computed otherwise.
    """
    return [Quantity(*row) for row in quantity_rows(paragraph, work)]


def quantity_rows(paragraph: str, work: str | None = None) -> list[tuple]:
    """`extract_quantities` as plain tuples, fields in `Quantity` order: what the build
    stores, without a frozen dataclass built and taken apart again per quantity."""
    if not paragraph or not _HAS_NUMBER.search(paragraph):
        return []
    if work is None or len(work) != len(paragraph):
        work = width_forms(paragraph)[1]
    # Numbers with units first: most paragraphs with a digit have none, and then neither
    # sentences nor cue words (scans of the whole paragraph) are needed.
    # `in` finds 百分之 faster than `re`, and one character (in one paragraph in eight)
    # faster than the word.
    pct = list(_PCT_CN.finditer(work)) if "之" in work and "百分之" in work else []
    qty = _unit_matches(work)  # no unit: never a hit
    if not pct and not qty:
        return []
    # Half of these paragraphs hold no quote or book-title mark: four `in` tests find that
    # faster than the search.
    masked = "“" in work or "《" in work or '"' in work or "「" in work
    masks = [(m.start(), m.end()) for m in _MASKED.finditer(work)] if masked else []
    para = _Para(paragraph, work, [a for a, _ in masks], [b for _, b in masks])
    hits = _hits(para, pct, qty)
    if not hits:  # a third of the paragraphs with a number and a unit: no sentences needed
        return []
    para.spans = sentence_spans(work)
    by_sentence = _by_sentence(para.spans, hits)
    if not by_sentence:
        return []
    stop = para.spans[by_sentence[-1][0]][1]  # no value looks past its sentence
    _find_cues(para, stop)
    para.other = _OTHER.search(work, 0, stop) is not None  # plain words: none in a part if none in all
    out: list[tuple] = []
    for i, sentence_hits in by_sentence:
        s, e = para.spans[i]
        sentence = paragraph[s:e]  # one slice shared by the sentence's rows
        prev: tuple[_Hit, str] | None = None
        for hit in sentence_hits:
            q = _quantity(para, i, s, e, sentence, hit, prev)
            if q is not None:
                out.append(q)
                prev = (hit, q[_INDICATOR])
    return out


def _find_cues(para: _Para, stop: int) -> None:
    """The cue words of the paragraph up to `stop`, the end of its last sentence with a
    value (a value's kind looks at cues before it and in its own sentence only)."""
    w, masked = para.work, bool(para.mask_starts)
    pos, search = 0, _CUES_SCAN.search  # finditer's matches, without a generator
    while (m := search(w, pos)) is not None and (start := m.start()) < stop:
        if not (masked and _masked(para, start)):
            para.cue_pos.append(start)
            para.cues.append(_cue(m.lastgroup, m.group()))  # shared: no tuple per cue
        pos = m.end()


@lru_cache(maxsize=1024)
def _cue(group: str, word: str) -> tuple[str, bool, bool]:
    """(kind, strong, may look back) of a cue word matched as `group` (a few dozen words
    recur: worked out once each)."""
    # May this cue decide a value written before it? Targets yes (实现20亿元、力争
    # 30亿元); achievements only the comparisons (比上年, 高于预期), not 以来/累计
    # opening a new item.
    looks_back = group == "t" or (group == "a" and bool(_RETRO.fullmatch(word)))
    return "target" if group == "t" else "achievement", group != "aw", looks_back


def _masked(para: _Para, pos: int, end: int | None = None) -> bool:
    """True if `pos` (or all of pos..end) lies inside quotes or book-title marks."""
    i = bisect.bisect_right(para.mask_starts, pos) - 1
    return i >= 0 and para.mask_ends[i] > (pos if end is None else end - 1)


def _unit_matches(work: str) -> list[re.Match]:
    """`[m for m in _QTY.finditer(work) if m["base"] or m["mult"]]`, without a Match
    object for each of the many numbers without a unit (years, 一 of 进一步)."""
    out: list[re.Match] = []
    pos, search = 0, _QTY_UNIT.search
    while (m := search(work, pos)) is not None:
        # finditer reaches m.start(), where _QTY's match is m, unless a match without
        # a unit starts in work[pos:m.start()] and runs over it (12.3,456个: 12.3, then
        # 456个, not 3,456个): one of _QTY's characters only, from a digit or numeral
        # on. k: where such a run starts (no match holds work[k - 1]: finditer passes k).
        k = m.start()
        numeral = False
        while k > pos and ((ch := work[k - 1]) in _QTY_CHARS or ch.isdecimal()):
            k -= 1
            numeral = numeral or ch.isdecimal() or ch in _CN_FIRST
        if numeral:  # rare (28 paragraphs in 17 MB of reports): the plain rule from k
            return out + [r for r in _QTY.finditer(work, k) if r["base"] or r["mult"]]
        out.append(m)
        pos = m.end()
    return out


def _hits(para: _Para, pct: list[re.Match], qty: list[re.Match]) -> list[_Hit]:
    """Numbers with units that pass the not-a-quantity filters, in text order. A 百分之
    number hides the matches starting inside it."""
    hits = [h for m in pct if (h := _pct_hit(para, m)) is not None]
    if not pct:  # the usual case: the matches are in text order already
        return [h for m in qty if (h := _qty_hit(para, m)) is not None]
    taken = [(m.start(), m.end()) for m in pct]
    for m in qty:
        start = m.start()
        if not any(a <= start < b for a, b in taken) and (h := _qty_hit(para, m)) is not None:
            hits.append(h)
    return sorted(hits, key=lambda h: h.start)


def _by_sentence(spans: list[tuple[int, int]], hits: list[_Hit]) -> list[tuple[int, list[_Hit]]]:
    """(sentence index, its hits) for the sentences holding a hit. No match can cross a
    sentence end (。！？；, a closing bracket or a line break are in none of the number or
    unit patterns), so each hit goes to the sentence holding its start."""
    out: list[tuple[int, list[_Hit]]] = []
    i, n = 0, len(spans)
    for h in hits:  # both in text order: one walk over the sentences
        while i < n and spans[i][1] <= h.start:
            i += 1  # sentence i ends before the hit
        if i == n:
            break  # after the last sentence
        if h.start < spans[i][0]:
            continue  # in no sentence
        if out and out[-1][0] == i:
            out[-1][1].append(h)
        else:
            out.append((i, [h]))
    return out


def _pct_hit(para: _Para, m: re.Match) -> _Hit | None:
    values = _values(m["num"], "")
    if values is None or (para.mask_starts and _masked(para, m.start())):
        return None
    post = ((m.start("post"), m["post"]),) if m["post"] else ()
    return _Hit(m.start(), m.end("num"), m.end(), values[0], None, values[1], "", "%", True, post)


def _qty_hit(para: _Para, m: re.Match) -> _Hit | None:
    w = para.work
    num, _, _, num2, ap1, mult, ap2, base, post = m.groups()  # _QTY_GROUPS
    if base is None and (mult is None or _is_word_char(w, m.end("mult"))):
        return None  # no unit: a year, a date, a list number, a name
    base, mult = base or "", mult or ""
    start = m.start()
    if para.mask_starts and _masked(para, start):
        return None
    if start and w[start - 1] in _BAD_BEFORE_LAST and _BAD_BEFORE.search(w, max(0, start - 2), start):
        return None
    chinese = not num[0].isdigit()
    if chinese and _bad_chinese(w, m):
        return None
    values = _values(num, mult)
    values_max = _values(num2, "") if num2 else None
    if values is None or (num2 and values_max is None):
        return None
    unit_end = m.end("base") if base else m.end("mult")
    # 余/多 inside, 以上/左右 after: most values have none, and then no list is built.
    hedges = ()
    if ap1 or ap2 or post:
        hedges = tuple((m.start(g), text) for g, text in (("ap1", ap1), ("ap2", ap2), ("post", post)) if text)
    return _Hit(
        start, unit_end, m.end(), values[0], values_max[0] if values_max else None,
        values[1] if base else None, mult, base, chinese, hedges,
    )  # fmt: skip


def _bad_chinese(w: str, m: re.Match) -> bool:
    """一批/一个问题; 数十个; counts summing up a list just given (“…”三个项目库, 等七项工程)."""
    before = w[m.start() - 1 : m.start()]
    if m["num"] == "一" or before in ("”", "等") or _BAD_BEFORE_CN.match(before):
        return True
    return bool(_CN_PAIR.search(m["num"]) or _NAME_AFTER.match(w, m.end("num")))


def _is_word_char(text: str, pos: int) -> bool:
    return pos < len(text) and (text[pos].isalnum())


@lru_cache(maxsize=8192)
def _values(num: str, mult: str) -> tuple[float, float] | None:
    """(value, value times the multiplier `mult`) of a number as written, as floats, or None
    if it is not one (memoised: the same numbers recur, and Decimal arithmetic is slow)."""
    d = number_value(num)
    return None if d is None else (float(d), float(d * _MULT_VALUE.get(mult, 1)))


_INDICATOR = 4  # position of `indicator` in a Quantity row


def _quantity(para: _Para, i: int, s: int, e: int, sentence: str, hit: _Hit, prev: tuple[_Hit, str] | None) -> tuple | None:
    """The row (Quantity fields, in order) for one hit of sentence i (para.text[s:e], given
    as `sentence`); `prev` is the sentence's previous row (hit, indicator)."""
    w = para.work
    cs, mark = _clause_start(w, prev[0].end if prev else s, hit.start)
    # The noun after the value counts for counters (225家企业) and for a value with no
    # phrase before it: found only then (two values in three are neither).
    post = _post_noun(w, hit.end, e) if hit.base in _COUNTERS else None
    if post is not None and _abstract(w, hit, post, mark):
        return None
    kind = _kind(para, s, e, hit)
    return (
        s,  # start
        e,  # end
        sentence,  # sentence
        para.text[hit.start : hit.unit_end],  # span
        _indicator(para, s, cs, e, hit, post, mark, prev[1] if prev else ""),  # indicator
        hit.value,  # value
        hit.value_max,  # value_max
        hit.mult + hit.base,  # unit
        hit.value_normalised,  # value_normalised
        _UNIT_ALIAS.get(hit.base, hit.base),  # unit_normalised
        _hedges(para, s, cs, hit, kind),  # hedge
        _deadline(para, i, hit),  # deadline
        kind,  # kind
    )


def _clause_start(w: str, lo: int, pos: int) -> tuple[int, str]:
    """Start of the clause ending at `pos` (not before `lo`) and the mark that opened it."""
    # The character at pos (the value's first) is no mark, but a 、 before it needs to
    # see it: the match may reach it, never end on it.
    m = _LAST_CLAUSE_MARK.match(w, lo, pos + 1)
    return (m.end(), m.group(1)) if m else (lo, "")


def _post_noun(w: str, pos: int, e: int) -> tuple[int, int]:
    """Offsets of the noun after a quantity (225家企业 -> 企业), empty if none."""
    a = pos + 1 if w[pos : pos + 1] == "的" else pos
    # Up to the first clause mark or 、 (searched in C), at most _POST_MAX characters.
    limit = min(e, a + _POST_MAX)
    end = _POST_END.search(w, a, limit)
    b = end.start() if end else max(a, limit)
    if b == a or not (w[a].isalpha() or w[a] == "“"):
        return a, a
    stop = _POST_STOP_SCAN.search(w, a + 1, b)
    b = stop.start() if stop else b
    return a, b - 1 if b - a > 1 and w[b - 1] == "中" else b  # 5个区(市)中


def _abstract(w: str, hit: _Hit, post: tuple[int, int], mark: str) -> bool:
    """Chinese-numeral counts of abstract items or of a list just given: not quantities
    (asked of counters only: 个, 家, 项 ...)."""
    if not hit.chinese:
        return bool(_ABSTRACT_CORE.match(w, *post))
    return mark == "、" or bool(_ABSTRACT.match(w, *post))


def _indicator(
    para: _Para, s: int, cs: int, e: int, hit: _Hit, post: tuple[int, int] | None, mark: str, prev: str
) -> str:
    """What is measured (see the module doc): the phrase before the value, or the noun after
    it (`post`, the noun's offsets: given for counters, found here if needed for others)."""
    a, b = _trim(para.work, cs, hit.start)
    pre = para.text[a:b]
    if post is not None and (noun := _noun(para, post)):  # a counter's noun
        if pre.endswith("的") and len(pre) <= 16:
            return pre + noun  # 纳入省重点的2个项目 -> 纳入省重点的项目
        return noun if mark == "、" or len(pre) > 4 else pre + noun  # 帮助225家企业 -> 帮助企业
    pre = pre.removesuffix("的")
    if not pre:
        # 3万元以下的集体经济薄弱村; 国内财政收入1987年达到2243.6亿元; 覆盖率，由1997年的65%提高到;
        # 实现20亿元、力争30亿元
        return (_noun(para, post if post is not None else _post_noun(para.work, hit.end, e))
                or _subject_before_time(para, cs, a) or _from_subject(para, s, cs) or prev)
    if prev and pre in _SHARE_ONLY:
        return _CHANGE_END.sub("", prev) + "占比"
    change = _COMPARED.sub("", pre) if pre[0] in "比较" else pre
    # (most indicators are longer, or end otherwise: told without a match call)
    if len(change) <= _CHANGE_MAX and change[-1] in _CHANGE_LAST and _CHANGE_ONLY.match(change):
        if prev:
            return _CHANGE_END.sub("", prev) + change  # 营业总收入2942亿元,增长10.2% -> 营业总收入增长
        if subject := _subject_before_time(para, cs, a):
            return subject + change  # 用于“三农”的支出五年累计1.6万亿元 -> 用于“三农”的支出累计
    return pre


def _noun(para: _Para, offsets: tuple[int, int]) -> str:
    """The text at `offsets` after a value, unless it is a level verb (由1954年的97个增加到
    106个: 增加到 says how the value moves, not what it counts)."""
    a, b = offsets
    return "" if a == b or _TRAIL.fullmatch(para.work, a, b) else para.text[a:b]


def _subject_before_time(para: _Para, cs: int, a: int) -> str:
    """The indicator before the last time phrase of the clause w[cs:a], "" if none: what a
    change cut off by that phrase (五年|累计) is about."""
    w = para.work
    last = _last_cut(w, cs, a)
    if last is None or last.start() <= cs:
        return ""
    sa, sb = _trim(w, cs, last.start())
    # compared with the time phrase itself (累计使用外资比“十三五”时期增长): not part of it
    subject = _COMPARED_WITH.sub("", para.text[sa:sb]).removesuffix("的") if sa < sb else ""
    return "" if _CHANGE_ONLY.match(subject) else subject  # 提高到2017年的58.5%: no subject


def _from_subject(para: _Para, s: int, cs: int) -> str:
    """For a clause opening a change "from" one level (覆盖率，由1997年的65%提高到...),
    the indicator of the clause before it, "" otherwise."""
    w = para.work
    if cs <= s or w[cs] not in "由从" or w[cs - 1] not in _CLAUSE_MARKS:
        return ""
    ps, _ = _clause_start(w, s, cs - 2)
    pa_, pb = _trim(w, ps, cs - 1)
    return para.text[pa_:pb].removesuffix("的") if pa_ < pb else ""


def _trim(w: str, a: int, b: int) -> tuple[int, int]:
    """Offsets of the indicator inside the clause w[a:b] before a value."""
    b = _strip_trail(w, a, b)
    if (cut := _last_cut(w, a, b)) is not None:
        a = cut.end()  # after the last time phrase: 全年|新增融资到位
    if w.find("等", a, b) >= 0:  # most clauses hold none: no iterator
        for m in _LIST_DENG.finditer(w, a, b):
            a = max(a, m.end())  # after a list: A、B、C等|总投资
    if a < b and w[a] in _LEAD_FIRST:
        m = _LEAD.match(w, a, b)
        a = m.end() if m else a
    # Stripping again finds nothing new: b is where the first strip found the leftmost
    # start of a run of trailing words reaching the end, and a run ending at b would
    # have joined it and started earlier. Only `$`, which also matches before a final
    # line break, can tell the two apart.
    return a, _strip_trail(w, a, b) if w.find("\n", a, b) >= 0 else b


def _last_cut(w: str, a: int, b: int) -> re.Match | None:
    """The last time phrase (or other cut word, _CUT) in w[a:b], as finditer would find
    it (by search), None if there is none."""
    if not _CUT_CHARS.search(w, a, b):
        return None
    last, pos = None, a
    while (m := _CUT_SCAN.search(w, pos, b)) is not None:
        last, pos = m, m.end()
    return last


def _strip_trail(w: str, a: int, b: int) -> int:
    """Where the trailing level verbs and hedges of w[a:b] start (b if there are none):
    `_TRAIL.search(w, a, b)`, tried only on the run of their characters that ends the
    clause (a match is made of them; most clauses end in none, or in a word or two)."""
    end = b - 1 if b > a and w[b - 1] == "\n" else b  # `$` matches before a final line break too
    k = end
    while k > a and w[k - 1] in _TRAIL_CHARS:
        k -= 1
    if k == end:
        return b
    m = _TRAIL.search(w, k, b)
    return m.start() if m else b


def _hedges(para: _Para, s: int, cs: int, hit: _Hit, kind: str) -> str:
    """The hedges of a value in text order, joined by "|". A modal word (力争, 确保)
    counts only for targets: in 争取力度截止目前获批3.5亿元 it is not about the value."""
    w, start = para.work, hit.start
    found = list(hit.hedges)
    # Most sentences and clauses hold neither a modal word nor a comparator: one search
    # tells, and finditer (an iterator and a list) runs only from the first one found.
    if kind == "target" and (first := _MODAL.search(w, s, start)):  # the nearest modal word, where it counts
        modal = _MODAL.finditer(w, first.start(), start)
        modal = [m for m in modal if not (para.mask_starts and _masked(para, m.start()))]
        if modal:
            found.append((modal[-1].start(), modal[-1].group()))
    if first := _COMPARATOR.search(w, cs, start):
        found += [(m.start(), m.group()) for m in _COMPARATOR.finditer(w, first.start(), start)]
    # An approximation ends right before the number (or before a final line break, as
    # `$` allows): most values have none, told by one character.
    if start > cs and w[start - 1] in _ADJACENT_LAST and (m := _ADJACENT.search(w, cs, start)):
        found.append((m.start(), m.group()))
    if not found:
        return ""
    return "|".join(word for _, word in sorted(set(found)))


def _deadline(para: _Para, i: int, hit: _Hit) -> str:
    """Nearest time phrase before the value; else just after it; else earlier in a ；-chain."""
    found = _deadlines(para, i)
    pick = None
    for d in found:  # in text order, ends too: the last one ending before the value
        if d[1] > hit.start:
            break
        pick = d
    if pick is None and found:  # the phrases after it are looked at only now
        last = hit.end + _DEADLINE_AFTER
        pick = next((d for d in found if hit.unit_end <= d[0] <= last and _forward(para, d)), None)
    if pick is None:
        pick = _chain_deadline(para, i)
    return para.text[pick[0] : pick[1]] if pick else ""


def _chain_deadline(para: _Para, i: int) -> tuple[int, int] | None:
    """The last time phrase of the ；-chain leading to sentence i (memoised: a chain of
    thousands of values is walked once, not once per value)."""
    memo = para.chain
    pending, j = [], i
    while j not in memo:
        if j == 0 or para.work[para.spans[j - 1][1] - 1] not in ";；":
            memo[j] = None
        elif found := _deadlines(para, j - 1):
            memo[j] = found[-1]
        else:
            pending.append(j)
            j -= 1
    for k in pending:
        memo[k] = memo[j]
    return memo[i]


def _forward(para: _Para, d: tuple[int, int]) -> bool:
    """A time phrase after a value must look ahead (年内), not back (去年以来, 近5年来)."""
    return not _BACKWARD.search(para.work, *d)


def _deadlines(para: _Para, i: int) -> list[tuple[int, int]]:
    """The time phrases of sentence i, in text order (once per sentence, however many
    values it holds)."""
    found = para.deadlines.get(i)
    if found is None:
        pos, e = para.spans[i]
        found = para.deadlines[i] = []
        if _DEADLINE_CHARS.search(para.work, pos, e):
            search = _DEADLINE_SCAN.search  # finditer's matches, without a generator
            while (m := search(para.work, pos, e)) is not None:
                a, pos = m.span()
                if not (para.mask_starts and _masked(para, a, pos)):
                    found.append((a, pos))
    return found


def _kind(para: _Para, s: int, e: int, hit: _Hit) -> str:
    """target / achievement / context from the cue words around the value (module doc)."""
    if para.other and _OTHER.search(para.work, s, hit.start):
        return "context"
    # The cues are in text order: bisect their positions instead of filtering them all.
    cues, pos = para.cues, para.cue_pos
    if not cues:  # a value in four: none to look for
        return "context"
    lo, hi = bisect.bisect_left(pos, s), bisect.bisect_left(pos, hit.start)  # cues before the value
    for k in range(hi - 1, lo - 1, -1):  # the nearest strong one
        if cues[k][1]:
            return cues[k][0]
    a, b = bisect.bisect_left(pos, hit.end), bisect.bisect_left(pos, min(e, hit.end + _AFTER_WINDOW))
    for k in range(a, b):  # the first one after it that may look back
        if cues[k][2]:
            return cues[k][0]
    if hi > lo:  # a weak one before it
        return cues[hi - 1][0]
    for k in range(lo - 1, -1, -1):  # the nearest strong one in earlier sentences
        if cues[k][1]:
            return cues[k][0]
    return "context"
