"""Segmentation: user dictionary, extra words, stop words, and the fast engine against jieba."""

from __future__ import annotations

import difflib
import pickle
from collections import Counter
from pathlib import Path

import pytest

from analysis.normalize import normalize_width
from analysis.segment import (
    LINE_BREAK,
    split_lines,
    DICT_DIR,
    MIN_USER_FREQ,
    build_segmenter,
    content_terms,
    get_segmenter,
    keeps_whole,
    load_stopwords,
    read_user_dict,
)

SEEDS = sorted((Path(__file__).parents[2] / "seeds").glob("*.txt"))
ENGINES = ["rjieba", "jieba"]
USER_DICT = read_user_dict(DICT_DIR / "userdict.txt")


@pytest.fixture(scope="module")
def seeds_text() -> str:
    return "\n".join(normalize_width(p.read_text(encoding="utf-8")) for p in SEEDS)


@pytest.fixture(scope="module", params=ENGINES)
def segmenter(request):
    return build_segmenter(engine=request.param)


def _agreement(a: list, b: list) -> float:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return sum(m.size for m in matcher.get_matching_blocks()) / max(len(a), len(b))


# --- dictionary files -------------------------------------------------------------


def test_user_dict_parser_follows_jieba_format_and_skips_comments(tmp_path):
    path = tmp_path / "dict.txt"
    path.write_text("# a comment\n\n对标 v\n双招双引 5 nz\n  # indented comment\n云计算 3\nEdu Trust认证 2000\n",
                    encoding="utf-8")
    assert [tuple(e) for e in read_user_dict(path)] == [
        ("对标", None, "v"), ("双招双引", 5, "nz"), ("云计算", 3, None), ("Edu Trust认证", 2000, None)
    ]


def test_user_dict_size_and_no_duplicates():
    words = [e.word for e in USER_DICT]
    assert 80 <= len(words) <= 300
    assert len(words) == len(set(words))


def test_stopwords_skip_comments_and_keep_domain_words():
    stop = load_stopwords()
    assert 300 <= len(stop) <= 700
    assert not any(w.startswith("#") for w in stop)
    assert {"进一步", "加强", "推进", "全面", "工作", "坚持", "切实", "扎实", "我们", "全区"} <= stop
    # Broad but meaningful words stay; TF-IDF and log-odds discount them instead.
    assert not {"发展", "建设", "创新", "改革", "服务", "项目", "企业", "产业"} & stop


def test_stopwords_do_not_hide_dictionary_terms():
    # Only the enumeration markers (一是, 二要 ...), 我区, 下一步 and 做实 are in both lists:
    # they are in the dictionary to keep the two engines aligned, not to be counted.
    stop = load_stopwords()
    both = {e.word for e in USER_DICT} & stop
    assert both <= {e.word for e in USER_DICT if e.tag in {"m", "r", "t"}} | {"做实"}


# --- user dictionary terms come out whole -----------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("entry", USER_DICT, ids=[e.word for e in USER_DICT])
def test_every_user_dict_term_is_one_token_in_a_sentence(entry, engine):
    seg = build_segmenter(engine=engine)
    sentence = f"我们要推进{entry.word}工作"
    assert entry.word in seg.cut(sentence)
    assert (entry.word, entry.tag or "n") in seg.tag(sentence)  # the entry's tag, even for dict.txt words
    assert keeps_whole(seg, entry.word)


def test_user_dict_frequency_floor_beats_neighbouring_compounds():
    # With suggest_freq alone (12), dict.txt's 管理工作 / 管理机制 win: 城市 / 管理工作.
    seg = build_segmenter()
    assert "城市管理" in seg.cut("推进城市管理工作,完善城市管理机制")
    assert MIN_USER_FREQ >= 100


def test_without_user_dict_domain_terms_are_split():
    plain = build_segmenter(user_dict=None)
    assert "两谷一港一中心" not in plain.cut("集中打造两谷一港一中心")
    assert "两谷一港一中心" in build_segmenter().cut("集中打造两谷一港一中心")


# --- extra words (names found at build time) --------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_extra_words_stay_whole_and_get_name_or_place_tags(engine):
    text = "副局长焦军波和蒙婷到任城区考察,主任徐言朋说,记者高翔翔报道"
    plain = build_segmenter(engine=engine).cut(text)
    assert "徐言朋" not in plain and "高翔翔" not in plain  # 徐言朋说 glued, 高翔 / 翔 split
    names = ["焦军波", "蒙婷", "徐言朋", "高翔翔", "任城区"]
    seg = build_segmenter(engine=engine, extra_words=names)
    tagged = seg.tag(text)
    for name in ["焦军波", "蒙婷", "徐言朋", "高翔翔"]:
        assert (name, "nr") in tagged
    assert ("任城区", "ns") in tagged  # ends like a place name
    assert [w for w, _ in tagged] == seg.cut(text)
    assert "".join(seg.cut(text)) == text


def test_extra_words_accept_explicit_tags_and_prefer_longer_matches():
    seg = build_segmenter(extra_words=[("潍柴动力", "nt"), "潍柴"])
    tagged = seg.tag("到潍柴动力和潍柴参观")
    assert [t for t in tagged if t[0].startswith("潍柴")] == [("潍柴动力", "nt"), ("潍柴", "nr")]


def test_extra_district_does_not_break_a_dictionary_term_containing_it():
    seg = build_segmenter(extra_words=[("潍坊", "ns"), ("济宁", "ns")])  # no place suffix: tag given
    assert seg.tag("到潍坊高新区和潍坊市区,济宁高新区在济宁") == [
        ("到", "v"), ("潍坊高新区", "ns"), ("和", "c"), ("潍坊", "ns"), ("市区", "n"), (",", "x"),
        ("济宁高新区", "ns"), ("在", "p"), ("济宁", "ns"),
    ]


# --- process-pool friendliness -----------------------------------------------------


def test_segmenter_pickles_small_and_rebuilds_identically(seeds_text):
    seg = build_segmenter(extra_words=["焦军波"])
    blob = pickle.dumps(seg)
    assert len(blob) < 20_000  # the dictionary entries, not an engine
    clone = pickle.loads(blob)
    sample = seeds_text[:3000]
    assert clone.tag(sample) == seg.tag(sample)


def test_get_segmenter_is_cached_per_arguments():
    paths = (DICT_DIR / "userdict.txt",)
    first = get_segmenter(paths, ("蒙婷",), "rjieba")
    assert get_segmenter(paths, ("蒙婷",), "rjieba") is first
    assert get_segmenter(paths, (), "rjieba") is not first
    assert first.cut("蒙婷指出") == ["蒙婷", "指出"]


def test_unknown_engine_is_rejected():
    with pytest.raises(ValueError, match="engine"):
        build_segmenter(engine="pkuseg")


# --- content terms -----------------------------------------------------------------


def test_content_terms_drops_noise_and_keeps_terms():
    tagged = [("我们", "r"), ("要", "v"), ("进一步", "d"), ("推进", "v"), ("三次创业", "nz"),
              ("2015", "m"), ("56%", "m"), ("3.5", "m"), ("，", "x"), (" ", "x"), ("\n", "x"),
              ("的", "uj"), ("一批", "m"), ("孵化器", "n"), ("潍柴", "x"), ("IBM", "eng"),
              ("以及", "c"), ("工作", "vn"), ("“", "x"), ("一是", "m"), ("新", "a")]
    stop = load_stopwords()
    assert content_terms(tagged, stop) == [("三次创业", "nz"), ("孵化器", "n"), ("潍柴", "x"), ("IBM", "eng")]


# --- the fast engine against the reference -----------------------------------------


@pytest.fixture(scope="module")
def both_engines(seeds_text):
    fast, ref = build_segmenter(engine="rjieba"), build_segmenter(engine="jieba")
    return {
        "fast_cut": fast.cut(seeds_text), "fast_tag": fast.tag(seeds_text),
        "ref_cut": ref.cut(seeds_text), "ref_tag": ref.tag(seeds_text),
    }


def test_fast_engine_tokens_agree_with_jieba(both_engines):
    # Same dict.txt, same HMM: the token streams agree to ~99.95 % on the seeds.
    assert _agreement(both_engines["fast_cut"], both_engines["ref_cut"]) >= 0.99
    # rjieba's tag() is its cut() plus tags: what the build counts is that token stream.
    assert [w for w, _ in both_engines["fast_tag"]] == both_engines["fast_cut"]


def test_fast_engine_is_as_close_to_jieba_posseg_as_jieba_itself(both_engines):
    # jieba.posseg re-cuts unknown-word stretches with its own POS-HMM, so even
    # jieba's cut and posseg disagree on ~1.7 % of tokens (一是 -> 一 / 是). The fast
    # engine must not be further from posseg than that.
    ref_pos_tokens = [w for w, _ in both_engines["ref_tag"]]
    fast_vs_pos = _agreement([w for w, _ in both_engines["fast_tag"]], ref_pos_tokens)
    jieba_vs_pos = _agreement(both_engines["ref_cut"], ref_pos_tokens)
    assert fast_vs_pos >= 0.975
    assert fast_vs_pos >= jieba_vs_pos - 0.002


def test_fast_engine_tags_and_content_terms_agree(both_engines, seeds_text):
    fast, ref = both_engines["fast_tag"], both_engines["ref_tag"]
    matcher = difflib.SequenceMatcher(None, [w for w, _ in fast], [w for w, _ in ref], autojunk=False)
    same_pos = total = 0
    for block in matcher.get_matching_blocks():
        pairs = zip(fast[block.a:block.a + block.size], ref[block.b:block.b + block.size])
        same_pos += sum(f[1] == r[1] for f, r in pairs)
        total += block.size
    assert same_pos / total >= 0.97
    stop = load_stopwords()
    a = Counter(t for t, _ in content_terms(fast, stop))
    b = Counter(t for t, _ in content_terms(ref, stop))
    assert sum((a & b).values()) / max(sum(a.values()), sum(b.values())) >= 0.97




# --- tags looked up per token (Segmenter.tag_words, ContentFilter.of_words) ----------


@pytest.fixture(scope="module")
def seed_paragraphs(seeds_text) -> list[str]:
    return [p for p in seeds_text.split("\n") if p.strip()]


def _protected_segmenter():
    # Districts as extra words, as the build has them (Resources.segmenter).
    from analysis.gazetteer import load_gazetteer

    places = tuple((name, "ns") for name in load_gazetteer().canonical)
    return build_segmenter(extra_words=places)


def test_rjieba_tags_depend_on_the_token_alone(seed_paragraphs):
    # What the per-token memo relies on: the engine's own tagging of whole paragraphs
    # never gives one token two tags.
    seg = _protected_segmenter()
    seen: dict[str, str] = {}
    for p in seed_paragraphs:
        for word, tag in seg._tag_text(p):
            assert seen.setdefault(word, tag) == tag, word


def test_tag_from_the_memo_equals_tagging_the_text(seed_paragraphs):
    seg = _protected_segmenter()
    fresh = _protected_segmenter()  # a cold memo: every token learnt on the way
    for p in seed_paragraphs + ["到潍坊高新区和潍坊市区,济宁高新区在济宁", "我区推进双招双引，潍柴动力和瞪羚企业"]:
        assert fresh.tag(p) == seg._tag_text(p)
        assert fresh.tag_words(fresh.cut(p), p) == seg._tag_text(p)


def test_tag_memo_is_not_pickled_and_starts_afresh_when_full(seed_paragraphs, monkeypatch):
    seg = _protected_segmenter()
    seg.tag(seed_paragraphs[0])
    assert seg._pairs and pickle.loads(pickle.dumps(seg))._pairs is None
    full = seg._pairs
    monkeypatch.setattr("analysis.segment.MAX_TAG_MEMO", len(full) - 1)
    for p in seed_paragraphs[:20]:
        assert seg.tag(p) == seg._tag_text(p)
    assert seg._pairs is not full  # started afresh (with the extra words' tags)


@pytest.mark.parametrize("engine", ENGINES)
def test_one_cut_split_at_line_breaks_is_cut_per_line(engine, seeds_text):
    seg = _protected_segmenter() if engine == "rjieba" else build_segmenter(engine=engine, extra_words=["潍坊高新区"])
    text = (seeds_text if engine == "rjieba" else seeds_text[:3000]) + "\n\n 潍坊高新区 \n"
    assert split_lines(seg.cut(text), text.count("\n")) == [seg.cut(line) for line in text.split("\n")]


@pytest.mark.parametrize("engine", ENGINES)
def test_content_terms_from_words_equal_content_terms_of_the_tags(engine, seed_paragraphs):
    from analysis.segment import ContentFilter

    seg = build_segmenter(engine=engine)
    stop = load_stopwords()
    keep = ContentFilter(stop)
    for p in seed_paragraphs[:40] if engine == "jieba" else seed_paragraphs:
        expected = content_terms(seg.tag(p), stop)
        assert keep.of_words(seg.cut(p), p, seg) == expected
        assert keep.of_words(seg.cut(p), p, seg) == expected  # from the memo now
    # The memo is per segmenter: another one (other extra words) starts it afresh.
    other = build_segmenter(engine=engine, extra_words=["瞪羚企业"])
    p = "培育瞪羚企业和独角兽企业"
    assert keep.of_words(other.cut(p), p, other) == content_terms(other.tag(p), stop)


def test_break_positions_and_split_lines_cut_at_the_first_marks_only():
    from analysis.segment import break_positions

    items = ["\n", "a", "\n", "\n", "b", "c", "\n"]
    assert break_positions(items, 3) == [0, 2, 3]
    assert split_lines(items, 3) == [[], ["a"], [], ["b", "c", "\n"]]
    assert split_lines(items, 4) == [[], ["a"], [], ["b", "c"], []]
    assert split_lines([], -1) == [[]] and break_positions(items, 0) == []
    with pytest.raises(ValueError):
        break_positions(items, 5)


def test_look_up_all_is_a_subscript_per_key_whatever_their_number():
    from analysis.segment import look_up_all

    table = {"a": 1, "b": False, "c": ("c", "n")}
    for keys in ([], ["a"], ["b", "a"], ["c", "b", "c", "a"]):
        assert list(look_up_all(table, keys)) == [table[k] for k in keys]
    for keys in (["x"], ["a", "x"]):
        with pytest.raises(KeyError):
            look_up_all(table, keys)


def test_content_terms_of_a_whole_text_split_at_line_breaks_equal_those_line_by_line():
    # ContentFilter.of_text (the pipeline's one pass over a report) against of_words
    # line by line: empty lines, lines of punctuation or numbers only, extra words,
    # line breaks first and last. None until every token has been seen.
    from analysis.segment import ContentFilter

    seg = _protected_segmenter()
    keep = ContentFilter(load_stopwords())
    lines = ["", "大力推进潍坊高新区科技创新，", "。。。", "2023年 56%", "", "培育瞪羚企业和独角兽企业的"]
    text = "\n".join(lines)
    words = seg.cut(text)
    assert keep.of_text(words, seg) is None  # nothing seen yet
    expected = [keep.of_words(seg.cut(line), line, seg) for line in lines]
    terms = keep.of_text(words, seg)
    assert split_lines(terms, text.count("\n"), LINE_BREAK) == expected
    assert terms.count(LINE_BREAK) == len(lines) - 1 and any(expected)
    assert keep.of_text(words, build_segmenter(engine="jieba")) is None  # tags in context: no memo


def test_content_terms_of_a_whole_text_learn_unseen_tokens_from_the_text(seed_paragraphs):
    # Nearly every report holds a token not seen before (a number, a name): of_text
    # given the text learns them there, and equals content_terms of each line's tags
    # from a cold memo, on the seeds and on words the HMM finds only in context.
    from analysis.segment import ContentFilter

    stop = load_stopwords()
    seg, reference = _protected_segmenter(), _protected_segmenter()
    keep = ContentFilter(stop)
    texts = ["\n".join(seed_paragraphs[k : k + 7]) for k in range(0, len(seed_paragraphs), 7)]
    texts += ["我区推进双招双引，\n潍柴动力和瞪羚企业\n\n2023年增长56%，备案号20231127"]
    for text in texts:
        lines = text.split("\n")
        terms = keep.of_text(seg.cut(text), seg, text)
        expected = [content_terms(reference._tag_text(line), stop) for line in lines]
        assert split_lines(terms, len(lines) - 1, LINE_BREAK) == expected
    assert keep.of_text(seg.cut("新词汇甲乙丙"), build_segmenter(engine="jieba"), "新词汇甲乙丙") is None


def test_tokens_cut_otherwise_alone_are_tagged_in_their_own_line_only(monkeypatch):
    # 之行 alone is cut 之 / 行: its tag is learnt by tagging the line holding it, not
    # the whole report, and is the tag it has there.
    from analysis.segment import Segmenter

    seg, reference = _protected_segmenter(), _protected_segmenter()
    lines = ["今天天气很好", "此次考察之行的最后一站", "明天继续开会"]
    text = "\n".join(lines)
    words = seg.cut(text)
    assert "之行" in words and [w for w, _ in seg._backend().tag("之行")] == ["之", "行"]
    tagged: list[str] = []
    real = Segmenter._tag_text
    monkeypatch.setattr(Segmenter, "_tag_text", lambda self, t: tagged.append(t) or real(self, t))
    pairs = seg.pairs_of([w for w in words if w != "\n"], text)
    assert tagged == [lines[1]]
    monkeypatch.undo()
    assert pairs == [p for line in lines for p in reference._tag_text(line)]


# --- ContentFilter.of_text chunk by chunk, Segmenter._split through a Scanner ----------

_HAND_MADE_LINES = [
    "",  # an empty paragraph first
    "大力推进潍坊高新区科技创新，",
    "。。。，；",  # punctuation only
    "2023年 56% 3.5",  # numbers only
    "",
    "焦军波强调，培育瞪羚企业和独角兽企业的",  # a byline name
    "潍坊高新区潍坊济宁高新区",  # protected words back to back
    "！",
]


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1024])
@pytest.mark.parametrize("one_by_one", [0, 1, 2, 5])
def test_content_terms_of_a_text_chunk_by_chunk_equal_the_plain_ones_line_by_line(monkeypatch, chunk, one_by_one):
    # of_text looks tokens up TEXT_CHUNK at a time, learns the first LEARN_ONE_BY_ONE
    # tokens it misses one by one and then every unseen token of the rest at once: the
    # terms are content_terms of each line's tags whatever the chunks, the misses and
    # where the new tokens are (first chunk, middle, last token), with a cold memo, a
    # warm one, and one that knows every token but those of a few lines.
    from analysis import segment
    from analysis.segment import ContentFilter

    monkeypatch.setattr(segment, "TEXT_CHUNK", chunk)
    monkeypatch.setattr(segment, "LEARN_ONE_BY_ONE", one_by_one)
    stop = load_stopwords()
    seg, reference = _protected_segmenter(), _protected_segmenter()
    keep = ContentFilter(stop)
    texts = [
        "\n".join(_HAND_MADE_LINES),  # cold: every token new
        "\n".join(_HAND_MADE_LINES),  # warm: no token new
        "新词甲乙丙丁\n" + "\n".join(_HAND_MADE_LINES),  # new tokens first ...
        "\n".join(_HAND_MADE_LINES[:4]) + "\n备案号20231127号\n" + "\n".join(_HAND_MADE_LINES[4:]),  # ... in the middle
        "\n".join(_HAND_MADE_LINES) + "\n序号:00201",  # ... at the very end
        "文件序号:00202和00203、00204，00205\n\n。",  # more new tokens than are learnt one by one
        "", "\n", "\n\n。",
    ]
    for text in texts:
        lines = text.split("\n")
        expected = [content_terms(reference._tag_text(line), stop) for line in lines]
        words = seg.cut(text)
        seen = all(w in keep._verdicts(seg) for w in words if w != "\n")
        assert (keep.of_text(words, seg) is None) == (not seen)  # without the text: None if any token is new
        terms = keep.of_text(words, seg, text)
        assert split_lines(terms, len(lines) - 1, LINE_BREAK) == expected, text
        assert keep.of_text(words, seg) == terms  # every token known now


def test_protected_words_found_through_the_scanner_are_those_of_finditer():
    # Segmenter._split finds the extra words with a Scanner of the protector's pattern:
    # the same matches as pattern.finditer on hand-made text (words back to back,
    # longer and shorter ones, first and last, nothing else), on the seeds and on
    # random strings of the words' characters; and the same tokens.
    import random

    seg = _protected_segmenter()
    scanner, tags = seg._protect
    pattern = scanner.pattern
    alphabet = "".join(sorted(set("".join(tags)))) + "，。的区市"
    rng = random.Random(7)
    texts = [
        "", "潍", "潍坊", "潍坊高新区潍坊济宁高新区", "长沙麓谷和麓谷高新区，中关村国家自主创新示范区。",
        "，".join(_HAND_MADE_LINES), "今天天气很好",
    ]
    texts += [normalize_width(p.read_text(encoding="utf-8")) for p in SEEDS]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(60))) for _ in range(300)]
    assert scanner.candidates is not None
    for text in texts:
        assert [m.span() for m in scanner.finditer(text)] == [m.span() for m in pattern.finditer(text)], text
    for text in texts[:10]:
        plain, pos = [], 0
        for m in pattern.finditer(text):
            plain += seg._backend().cut(text[pos : m.start()]) if m.start() > pos else []
            plain.append(m.group())
            pos = m.end()
        plain += seg._backend().cut(text[pos:]) if pos < len(text) else []
        assert seg.cut(text) == plain, text


def test_rjieba_class_is_loaded_without_the_packages_default_tokenizer():
    # In a fresh process: the package's __init__ (which builds a default tokenizer of the
    # whole dictionary) is not run, and the class is the one `import rjieba` then gives.
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from analysis import segment\n"
        "cls = segment._rjieba_class()\n"
        "assert 'rjieba' not in sys.modules, 'the package was imported'\n"
        "print(cls().cut('济宁高新区对标潍坊高新区', True))\n"
        "import rjieba\n"
        "assert rjieba.Jieba is cls\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2], check=True).stdout
    assert out.strip() == "['济宁', '高新区', '对标', '潍坊', '高新区']"
