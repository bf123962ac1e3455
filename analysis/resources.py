"""Regular expressions shared by the cleaning, splitting and metadata stages.

Kept in one place (as textacy does) so a reader can see every pattern the text
passes through, and tune one without hunting through the stages.
"""

from __future__ import annotations

import re

# --- characters -----------------------------------------------------------------
# Zero-width characters and BOMs that PDF/web exports scatter through text.
ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
# C0/C1 control characters other than tab and newline, and lone surrogates.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
CJK = re.compile(r"[\u4e00-\u9fff]")

# --- web-page furniture (whole lines) ------------------------------------------------
# Lines that belong to the page around an article, never to the article. Patterns that
# match anywhere in a line (【打印】, 无障碍...导盲) only judge lines of up to FURNITURE_MAX
# characters: page furniture is short, and `clean.rejoin_broken_lines` relies on the cap.
FURNITURE_MAX = 200
# Furniture from the first character of the line on ...
_FURNITURE_WHOLE = r"""
        全站 | 政策 | 新闻 | 服务 | 数据 | 互动 | 专题 | 首页 | 登录 | 注册     # site menu items
      | [•·▪●]\s*\S{1,6}                                                 # bulleted menu items
      | 【\s*字号.* | 字号[:：].*
      | 扫一扫在手机打开当前页 | 扫一扫.{0,12}
      | 按回车键在新窗口打开无障碍说明页面.* | 无障碍 | 适老化
      | 打印本页 | 关闭窗口 | 打印 | 关闭 | 分享到[:：]?.* | 【?\s*纠错\s*】?
      | 责任编辑[:：].* | 编辑[:：]\S{1,8} | 相关(?:报道|链接|新闻)[:：]?
      | 当前位置[:：].* | 您现在的位置[:：].*
"""
# ... and marks found anywhere in a short line. Each of these needs one of FURNITURE_MARKS
# in the line: a line holding none is judged by FURNITURE_UNMARKED alone, which rejects
# most lines on their first character, where the look-aheads here scan every line.
_FURNITURE_MARKED = r"""
        (?=.{0,FMAX}$).*【\s*打印\s*】.* | (?=.{0,FMAX}$).*【\s*关闭\s*】.* | (?=.{0,FMAX}$).*无障碍.*导盲.*
""".replace("FMAX", str(FURNITURE_MAX))
FURNITURE_MARKS = ("【", "无障碍")
FURNITURE_LINE = re.compile(rf"^(?:{_FURNITURE_WHOLE}|{_FURNITURE_MARKED})$", re.VERBOSE)
FURNITURE_UNMARKED = re.compile(rf"^(?:{_FURNITURE_WHOLE})$", re.VERBOSE)
FURNITURE_MARKED = re.compile(rf"^(?:{_FURNITURE_MARKED})$", re.VERBOSE)
# Markdown heading markers some exports leave in front of section titles.
# Any run of them (`## ###`, `#######`) goes at once, so stripping twice changes nothing.
MARKDOWN_HEADING = re.compile(r"^#[#\s]*")

# --- layout --------------------------------------------------------------------------
# A paragraph that ends here has finished its sentence (or is a heading); one that
# ends otherwise was cut by a page or column break and may continue below.
TERMINAL = "。！？!?；;：:…”」』）)"
# Lines that start a new unit and so are never the tail of a broken sentence.
ENUMERATOR = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|\d{1,2}[、.．](?!\d)|第[一二三四五六七八九十]+[、，,是])"
)
SENTENCE_INSIDE = re.compile(r"[。！？!?；;]")
CLAUSE_MARK = re.compile(r"[，,、]")
# Lines that open an article or its header: never the tail of the line above.
ARTICLE_START = re.compile(r"^(?:本报讯|本报[^\s]{0,6}电|新华社|日期[:：]|来源[:：]|[—―\-－]{1,2}\s*\d{4}年)")

# --- bylines ---------------------------------------------------------------------------
# "济宁高新控股集团党委书记 李兵": organisation+position, whitespace, a 2-4 character name.
# Names of minority nationalities are written with a middle dot: 艾尔肯·吐尼亚孜.
# Two-character names are often typeset with a space between them: 国务院总理　李　强.
NAME = r"(?:[\u4e00-\u9fff]{2,8}[·•．][\u4e00-\u9fff]{2,8}|[\u4e00-\u9fff]{2,4}|[\u4e00-\u9fff][\u3000 ][\u4e00-\u9fff])"
BYLINE = re.compile(rf"^(?P<role>\S{{3,60}}?)[\s\u3000]+(?P<name>{NAME})$")
POSITION_SUFFIX = re.compile(
    r"(?:党工委|党委|党组|区委|市委|县委|省委)?(?:副)?(?:书记|主任|副主任|局长|副局长|部长|副部长|区长|副区长|"
    r"市长|副市长|县长|省长|副省长|主席|副主席|总理|副总理|董事长|总经理|主任委员|委员|处长|科长|秘书长|"
    r"理事长|院长|所长|校长|经理|队长|站长|社长|总编辑|组长)$"
)
# A byline lists posts joined by 、: "副局长、机构编制工作办公室主任".
POSITION_SPLIT = re.compile(r"[、,，]")
# Reporters: "本报记者 李蕊 邓超", "记者 张三", "通讯员 李四", and "(宋伟)" at a paragraph end.
REPORTER_LINE = re.compile(r"^(?:本报|本台|本刊)?(?:记者|通讯员|特约记者)[:：\s]*(?P<names>[\u4e00-\u9fff]{2,4}(?:[\s、，,]+[\u4e00-\u9fff]{2,4})*)\s*$")
REPORTER_TAIL = re.compile(r"[（(](?P<names>[\u4e00-\u9fff]{2,4}(?:[\s、，,]+[\u4e00-\u9fff]{2,4}){0,5})[）)]\s*$")

# --- web-page header metadata -------------------------------------------------------------
DATE_SOURCE_LINE = re.compile(r"^日期[:：]\s*(?P<date>\S+)(?:\s+\d{1,2}:\d{2})?(?:\s+来源[:：]\s*(?P<source>\S+))?")
SOURCE_LINE = re.compile(r"^来源[:：]\s*(?P<source>\S+)")

# --- dates ------------------------------------------------------------------------------
FULL_DATE = re.compile(r"(?P<y>(?:19|20)\d{2})\s*[年\-/.]\s*(?P<m>\d{1,2})\s*[月\-/.]\s*(?P<d>\d{1,2})\s*日?")
YEAR_MONTH = re.compile(r"(?P<y>(?:19|20)\d{2})年(?P<m>\d{1,2})月")
YEAR_IN_TITLE = re.compile(r"(?P<y>(?:19|20)\d{2})年")
# A date in a file name (national_1954.txt, 2021-04-23_考察报告.docx, 20210423会议.pdf,
# 2021年4月): the most specific form first; digits on either side make it no date
# (00012, 2021123). "_" separates day and month only in a full date: 报告2021_1 is
# part 1 of something, not January.
FILE_NAME_DATE = re.compile(
    r"(?<!\d)(?:"
    r"(?P<y>(?:19|20)\d{2})(?P<sep>[-_.年])(?P<m>\d{1,2})(?:(?P=sep)|月)(?P<d>\d{1,2})日?"
    r"|(?P<cy>(?:19|20)\d{2})(?P<cm>[01]\d)(?P<cd>[0-3]\d)"
    r"|(?P<my>(?:19|20)\d{2})[-.年](?P<mm>\d{1,2})月?"
    r"|(?P<yy>(?:19|20)\d{2})年?"
    r")(?!\d)"
)
# What a report says of its own year: "今年是“十四五”规划开局之年", "今年是新中国成立70周年",
# "今年是全面贯彻党的十九大精神的开局之年" (metadata.stated_year).
THIS_YEAR_IS = re.compile(r"今年是(?P<what>[^。；！？\n]{1,60})")
_CN_NUM = "一二三四五六七八九十百"
PLAN_YEAR = re.compile(
    rf"[“\"]?(?P<plan>[{_CN_NUM[:-1]}]{{1,3}})五[”\"]?(?:规划|计划|时期)?(?:的)?"
    r"(?P<when>开局之年|开局年|第一年|头一年|收官之年|最后一年)"
)
ANNIVERSARY = re.compile(
    r"(?P<event>新中国成立|中华人民共和国成立|建党|中国共产党成立|改革开放|抗日战争[^，。]{0,20}胜利)"
    rf"(?P<n>[0-9]{{1,3}}|[{_CN_NUM}]{{1,4}})周年"
)
CONGRESS_YEAR = re.compile(rf"党的(?P<n>[{_CN_NUM[:-1]}]{{1,3}})大[^，。]{{0,10}}?(?P<when>开局之年|第一年)")
# The year each of ANNIVERSARY's events counts from.
ANNIVERSARY_BASE = {"新中国成立": 1949, "中华人民共和国成立": 1949, "建党": 1921, "中国共产党成立": 1921,
                    "改革开放": 1978, "抗日战争": 1945}
# The publication date a web page states in its head: the tag names Chinese government
# sites use (PubDate, firstpublishedtime, publishdate) and the common standards.
PAGE_DATE_NAMES = (
    "pubdate", "publishdate", "publish_date", "firstpublishedtime", "publishtime", "article:published_time",
    "datepublished", "dc.date.issued", "dcterms.issued", "dc.date", "og:release_date",
)
META_TAG = re.compile(rb"<meta\b[^>]{0,600}>", re.I)
META_KEY = re.compile(rb"""\b(?:name|property|itemprop)\s*=\s*["']?([\w:.\-]{1,40})""", re.I)
META_CONTENT = re.compile(rb"""\bcontent\s*=\s*(?:"([^"]{0,64})"|'([^']{0,64})'|([^\s>"']{1,64}))""", re.I)
COMPACT_DATE = re.compile(r"^(?P<y>(?:19|20)\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)")  # 20210425, 20210425103000
# "——2026年2月3日在湖南省第十四届人民代表大会第四次会议上", also without the dash, in
# brackets, with Chinese-numeral dates (二〇二六年一月二十七日), or cut to "...会议上".
MEETING_LINE = re.compile(
    r"^[—―\-－（(]{0,2}\s*(?:(?P<date>[\d〇零一二三四五六七八九十]{2,4}年[\d一二三四五六七八九十]{1,3}月[\d一二三四五六七八九十]{1,3}日)在)?"
    r"(?P<meeting>[^。，,]{0,40}(?:代表大会|会议|會議)[^。，,]{0,12})上[)）]?$"
)
# How a MEETING_LINE ends (the end of a line without line breaks, where `$` matches).
MEETING_ENDS = ("上", "上)", "上）")

# --- quoting a leader within a meeting report ------------------------------------------
# "毕志伟指出，..." "刘宗国强调，..." "针对当前工作，毕志伟要求，..."
SPEECH_VERB = r"(?:指出|强调|要求|表示|提出|说|讲话指出|在讲话中指出|主持会议并讲话|作重要讲话|总结讲话|认为)"
QUOTE_LEAD = re.compile(rf"^(?:[^，,。]{{0,12}}[，,])?(?P<name>[\u4e00-\u9fff]{{2,3}}){SPEECH_VERB}[，,:：]")

# --- benchmarking cues ---------------------------------------------------------------------
BENCHMARK_CUE = re.compile(r"对标|考察|参观|取经|走进|借鉴|学先进|赶超|学习.{0,6}经验|向.{2,12}学习|看齐|赴.{2,20}考察|到.{2,20}考察")
# How far from a learning cue a place it speaks of may be named (characters, either side),
# and the cues whose place comes after them only (参观团走进长沙高新区).
CUE_REACH = 20
CUE_LEADING = {"走进"}
# What may stand between the learner and the cue when a place is the one that learns, not
# the one learnt from (徐州高新区将学习苏州经验, 济宁高新区赴潍坊高新区考察).
LEARNER_GAP = re.compile(r"(?:将|要|应|需|需要|必须|也要|还要|将要|要进一步)?(?:积极|主动|认真|深入|全面|虚心)?")
# The cues whose subject is the learner (X赴Y考察, X对标Y, X学习Y经验, X向Y学习); before 考察,
# 参观, 取经 or 看齐 a place is the one visited (到潍坊考察). A place right after one of
# LEARNT_MARKS is learnt from whatever follows it (到潍坊高新区对标学习, 通过对长沙高新区考察).
LEARNER_CUES = ("赴", "到", "走进", "对标", "借鉴", "学习", "学先进", "赶超", "向")
LEARNT_MARKS = "到赴对向去往在进"
# What separates the places of a list (东港区、寒亭区，潍城区和邹城市).
PLACE_LIST_GAP = re.compile(r"[、，,]|和|及|与|以及")

# --- the opening paragraph of a study-tour write-up ----------------------------------------
# "4月14日-15日，通过对长沙高新区考察学习..." / "为学习借鉴先进地区发展经验，..."
OPENING = re.compile(r"^(?:\d{1,2}月\d{1,2}日?[-—至~～]?|为(?:进一步)?(?:学习|贯彻)|按照.{0,20}(?:安排|部署)，)")

# --- posts ------------------------------------------------------------------------------------
# The first post word in a byline's role splits organisation from position:
# 济宁高新区人力资源管理局|副局长、机构编制工作办公室主任.
POSITION_WORD = re.compile(
    r"(?:党工委|党委|党组|区委|市委|县委|省委)?副?(?:书记|主任|局长|部长|区长|市长|县长|省长|主席|总理|"
    r"董事长|总经理|处长|科长|秘书长|理事长|院长|所长|校长|队长|站长|社长|总编辑|组长|镇长|乡长)"
)
# The reporter takes the floor back from a quoted leader.
NARRATION_LEAD = re.compile(r"^(?:会上|会议|会前|会后|本报讯|据悉|据了解|记者|此外|另外|随后|期间|当天|\d{1,2}月\d{1,2}日)")
# "我区", "全区": the report speaks for a home district without naming it.
HOME_REFERENCE = re.compile(r"我(?:区|市|县|省)|全(?:区|市|县)")
CN_DIGIT = re.compile(r"[〇零一二三四五六七八九十]")
# "现在，我代表国务院，向大会报告政府工作": the body the speaker speaks for.
# Also "我受国务院的委托" (1960, 1980) and "我代表中央人民政府" (1954, before the State Council).
SPEAKS_FOR = re.compile(r"我(?:代表|受)(?:中共中央和)?(?P<body>国务院|國務院|中央人民政府|[^，,。、]{2,16}?人民政府)")
# The government speaking for the whole country in a report's lead (a provincial report
# says 全省各族人民; 全国各族人民 is also how a local report quotes the centre).
NATIONAL_LEAD = re.compile(r"我国各族人民")


def union_of_classes(*patterns: re.Pattern) -> re.Pattern:
    """One character class holding the characters of several ([...] patterns only): one
    search in C tells whether a text holds any of them."""
    assert all(p.pattern.startswith("[") and p.pattern.endswith("]") for p in patterns)
    return re.compile("[" + "".join(p.pattern[1:-1] for p in patterns) + "]")
