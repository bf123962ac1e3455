"""Themes: the dictionary file, its terms against the segmenter, paragraph scoring."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pytest

from analysis.normalize import normalize_width
from analysis.segment import build_segmenter, content_terms, load_stopwords
from analysis.themes import (
    DEFAULT_MIN_SCORE,
    Theme,
    load_themes,
    paragraph_themes,
    score_cues,
    theme_index,
    unsegmentable_terms,
)

THEMES = load_themes()
SEEDS = sorted((Path(__file__).parents[2] / "seeds").glob("*.txt"))


def _tokens(text: str) -> list[str]:
    return [t for t, _ in content_terms(build_segmenter().tag(text), load_stopwords())]


def test_theme_file_has_the_expected_themes():
    names = [t.name for t in THEMES]
    assert 12 <= len(names) <= 16
    assert {"产业发展", "科技创新", "人才与干部", "体制机制改革", "招商引资", "城市建设", "乡村振兴",
            "民生保障", "党建与作风", "金融资本", "开放合作", "营商环境", "安全稳定", "生态环保",
            "宣传文化"} <= set(names)
    for theme in THEMES:
        assert 18 <= len(theme.terms) <= 45, theme.name
        assert theme.description


@pytest.mark.parametrize("engine", ["rjieba", "jieba"])
@pytest.mark.parametrize("theme", THEMES, ids=[t.name for t in THEMES])
def test_every_theme_term_can_match(theme, engine):
    # Themes match on tokens, so each cue must survive segmentation whole and
    # must not be a stop word (content_terms would remove it first).
    assert unsegmentable_terms([theme], build_segmenter(engine=engine), load_stopwords()) == []


def test_loader_reads_weights_and_rejects_weights_for_unlisted_terms(tmp_path):
    path = tmp_path / "themes.toml"
    path.write_text('# comment\n[themes."测试"]\ndescription = "d"\nterms = ["创新", "孵化器"]\n'
                    'weights = { "创新" = 0.5 }\n', encoding="utf-8")
    (theme,) = load_themes(path)
    assert theme.terms == {"创新", "孵化器"} and theme.weight("创新") == 0.5 and theme.weight("孵化器") == 1.0
    path.write_text('[themes."测试"]\nterms = ["创新"]\nweights = { "研发" = 2.0 }\n', encoding="utf-8")
    with pytest.raises(ValueError, match="研发"):
        load_themes(path)


def test_incubation_paragraph_is_science_and_innovation():
    tokens = _tokens("加快建设孵化器和加速器,支持企业加大研发投入,推动科技成果转化。")
    assert tokens == ["建设", "孵化器", "加速器", "支持", "企业", "研发", "投入", "科技成果转化"]
    name, score, evidence = paragraph_themes(tokens, THEMES)[0]
    assert name == "科技创新"
    assert evidence == ["加速器", "孵化器", "研发", "科技成果转化"]  # each once: code point order
    assert score == pytest.approx(4 / math.sqrt(8))


def test_score_is_weighted_matches_over_sqrt_length_by_hand():
    themes = [Theme("科技创新", frozenset({"孵化器", "研发", "创新"}), weights={"创新": 0.5}),
              Theme("产业发展", frozenset({"产业", "新材料"}))]
    tokens = ["孵化器", "研发", "创新", "创新", "产业", "企业", "项目", "平台", "政策"]  # 9 tokens, sqrt = 3
    result = paragraph_themes(tokens, themes, min_score=0.0)
    # 科技创新: 1 + 1 + 0.5 * 2 = 3 -> 3 / 3 = 1.0, evidence 创新 (twice) first.
    # 产业发展: 1 -> 1 / 3.
    assert result == [("科技创新", 1.0, ["创新", "孵化器", "研发"]), ("产业发展", pytest.approx(1 / 3), ["产业"])]
    assert [r[0] for r in paragraph_themes(tokens, themes, min_score=0.5)] == ["科技创新"]
    assert paragraph_themes([], themes) == []


def test_passing_mention_in_a_long_paragraph_is_not_a_theme():
    tokens = ["孵化器"] + ["干部"] * 24  # 1 / sqrt(25) = 0.2 < default 0.3
    names = [r[0] for r in paragraph_themes(tokens, THEMES)]
    assert "科技创新" not in names and names[0] == "人才与干部"
    assert math.isclose(paragraph_themes(tokens, THEMES)[0][1], 24 / 5)


def test_seed_paragraphs_get_the_obvious_themes():
    text = normalize_width(SEEDS[0].read_text(encoding="utf-8"))
    paragraphs = [p for p in text.split("\n") if p.strip()]

    def themes_of(start: str) -> list[str]:
        (paragraph,) = [p for p in paragraphs if p.startswith(start)]
        return [r[0] for r in paragraph_themes(_tokens(paragraph), THEMES)]

    assert themes_of("二是要充分发挥科技资源优势")[0] == "科技创新"
    assert themes_of("一是强化干部教育培训")[0] == "人才与干部"
    assert "乡村振兴" in themes_of("三是围绕乡村振兴战略")
    assert themes_of("3.构建创新创业基金群")[0] == "金融资本"
    assert themes_of("三、学习潍坊高新区开放发展理念") == ["开放合作"]


def paragraph_themes_plain(
    tokens: list[str], themes: list[Theme], *, min_score: float = DEFAULT_MIN_SCORE
) -> list[tuple[str, float, list[str]]]:
    """The straightforward scoring, theme by theme; the reference `paragraph_themes` is tested against."""
    if not tokens:
        return []
    counts = Counter(tokens)
    norm = math.sqrt(len(tokens))
    found = []
    for theme in themes:
        matched = {t: n for t, n in counts.items() if t in theme.terms}
        if not matched:
            continue
        score = sum(theme.weight(t) * n for t, n in matched.items()) / norm
        if score >= min_score:
            evidence = sorted(matched, key=lambda t: (-matched[t], t))
            found.append((theme.name, score, evidence))
    found.sort(key=lambda x: -x[1])
    return found


def test_indexed_scoring_gives_the_same_rows_as_the_plain_one_on_the_seeds():
    # paragraph_themes looks tokens up in a term -> theme index; paragraph_themes_plain
    # is the straightforward theme-by-theme version. Same themes, order, evidence and
    # the same float scores (not approximately: the sums run in the same order).
    index = theme_index(THEMES)
    seg, stop = build_segmenter(), load_stopwords()
    n_paragraphs = n_themed = 0
    for path in SEEDS:
        for paragraph in normalize_width(path.read_text(encoding="utf-8")).split("\n"):
            tokens = [t for t, _ in content_terms(seg.tag(paragraph), stop)]
            for min_score in (0.0, 0.3):
                plain = paragraph_themes_plain(tokens, THEMES, min_score=min_score)
                assert paragraph_themes(tokens, index, min_score=min_score) == plain
                assert paragraph_themes(tokens, THEMES, min_score=min_score) == plain
            n_paragraphs += 1
            n_themed += bool(plain)
    assert n_paragraphs > 100 and n_themed > 50


def test_indexed_scoring_matches_the_plain_one_with_weights_shared_terms_and_repeats():
    themes = [Theme("甲", frozenset({"创新", "研发", "人才"}), weights={"创新": 0.3, "人才": 0.7}),
              Theme("乙", frozenset({"人才", "干部"}), weights={"人才": 1.3}),
              Theme("丙", frozenset({"研发"}))]
    tokens = ["人才", "创新", "研发", "人才", "项目", "干部", "创新", "人才", "平台"]
    for min_score in (0.0, 0.3, 1.0):
        assert paragraph_themes(tokens, themes, min_score=min_score) == paragraph_themes_plain(tokens, themes, min_score=min_score)


def test_scoring_the_cues_alone_matches_the_plain_one_with_ties():
    # score_cues (what the pipeline calls, with the cue terms picked out of the whole
    # report) against the plain scoring: evidence with equal counts by code point, not
    # by first occurrence; themes with equal scores in file order; cues of no theme
    # listed among the others.
    themes = [Theme("丙", frozenset({"研发", "创新"})),
              Theme("甲", frozenset({"创新", "研发"})),
              Theme("乙", frozenset({"人才", "干部", "研发"}), weights={"人才": 0.1, "干部": 0.2})]
    index = theme_index(themes)
    tokens = ["研发", "项目", "创新", "干部", "人才", "人才", "干部", "平台", "研发", "创新"]
    cues = [t for t in tokens if t in index]
    for min_score in (0.0, 0.3, 1.0, 2.0):
        plain = paragraph_themes_plain(tokens, themes, min_score=min_score)
        assert score_cues(cues, len(tokens), index, min_score=min_score) == plain
        assert paragraph_themes(tokens, index, min_score=min_score) == plain
    assert [name for name, _, _ in paragraph_themes_plain(tokens, themes, min_score=0.0)] == ["丙", "甲", "乙"]
    assert score_cues([], 5, index) == [] and paragraph_themes([], index) == []


def test_scores_added_up_cue_by_cue_are_the_plain_sums_bit_for_bit():
    # score_themes adds weight * count to a running total per theme, cue by cue in order
    # of first occurrence, starting from 0: the very float sum() gives the plain scoring,
    # whatever the weights (ones whose sums depend on their order, integers, mixed) and
    # repeats. Random themes and paragraphs against paragraph_themes_plain.
    import random

    rng = random.Random(11)
    vocabulary = [f"词{k}" for k in range(12)]
    for _ in range(300):
        themes = []
        for k in range(rng.randrange(1, 5)):
            terms = rng.sample(vocabulary, rng.randrange(1, 6))
            weights = {t: rng.choice([0.1, 0.2, 0.3, 0.7, 1.3, 2, 1 / 3, rng.random()]) for t in terms if rng.random() < 0.7}
            themes.append(Theme(f"主题{k}", frozenset(terms), weights=weights))
        index = theme_index(themes)
        tokens = [rng.choice(vocabulary + ["其他"]) for _ in range(rng.randrange(0, 30))]
        cues = [t for t in tokens if t in index]
        for min_score in (0.0, 0.3, 1.0):
            plain = paragraph_themes_plain(tokens, themes, min_score=min_score)
            ours = score_cues(cues, len(tokens), index, min_score=min_score)
            assert ours == plain
            assert [s.hex() if isinstance(s, float) else s for _, s, _ in ours] == [
                s.hex() if isinstance(s, float) else s for _, s, _ in plain]
