"""Word segmentation and part-of-speech tagging for report text.

Two engines sit behind one `Segmenter`:

- "rjieba" (default): jieba-rs through the `rjieba` binding. Same dictionary and
  HMM as jieba, 10-30x faster; POS comes from `Jieba.tag` in the same pass.
- "jieba": a private `jieba.Tokenizer` plus `jieba.posseg.POSTokenizer` on it.
  The reference the fast engine is tested against (tests/analysis/test_segment.py).

jieba's module-level tokenizer is never touched: every segmenter owns its own
engine instance, so a user dictionary here cannot leak into other code that
imports jieba (and vice versa).

A `Segmenter` holds only plain data (engine name, parsed dictionary entries, extra
words), so it pickles in a few kilobytes; the engine itself is built lazily, once per
process, by a cache keyed on that data. That is what lets the build hand a
segmenter to ProcessPoolExecutor workers.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Iterable, NamedTuple, Sequence

from analysis.scan import Scanner, longest_word_pattern

DICT_DIR = Path(__file__).parent / "dictionaries"
ENGINES = ("rjieba", "jieba")
# Lowest frequency a user-dictionary entry gets; see _entry_freq.
MIN_USER_FREQ = 100
# Distinct tokens whose tags a segmenter remembers (Segmenter.tag_words) before it
# starts afresh: a few tens of MB.
MAX_TAG_MEMO = 300_000

# jieba's own user-dictionary grammar: "word [freq] [tag]", the word may hold spaces.
_ENTRY = re.compile(r"^(.+?)(?: ([0-9]+))?(?: ([a-z]+))?$")

# Extra words whose last character names a place are tagged ns, the rest nr (people).
_PLACE_SUFFIXES = tuple("省市区县镇乡村街州旗盟谷港园城湾岛")

# Closed word classes that never carry content (jieba tag set): particles, prepositions,
# conjunctions, pronouns, numerals, measure words, directionals, adverbs, time words,
# modal particles, interjections, onomatopoeia.
FUNCTION_POS = frozenset(
    "u uj ul uz ug uv ud p c r rr rz m mq q f d t tg y e o".split()
)
# A content term must hold a Chinese character or a Latin letter: this drops
# punctuation, whitespace and pure numbers (2015, 56%, 3.5) in one test.
_WORDLIKE = re.compile(r"[\u4e00-\u9fffA-Za-z]")


class DictEntry(NamedTuple):
    word: str
    freq: int | None  # None: the engine suggests a frequency that keeps the word whole
    tag: str | None


def read_user_dict(path: Path) -> tuple[DictEntry, ...]:
    """Parse a jieba-format user dictionary; blank lines and '#' comment lines are skipped."""
    entries = []
    for raw in Path(path).read_text(encoding="utf-8-sig").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, freq, tag = _ENTRY.match(line).groups()
        entries.append(DictEntry(word.strip(), int(freq) if freq else None, tag))
    return tuple(entries)


def load_stopwords(path: Path = DICT_DIR / "stopwords.txt") -> frozenset[str]:
    """One stop word per line; blank lines and '#' comment lines are skipped."""
    lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    return frozenset(w for w in (l.strip() for l in lines) if w and not w.startswith("#"))


def content_terms(tagged: list[tuple[str, str]], stopwords) -> list[tuple[str, str]]:
    """Keep the (term, pos) pairs that say something about content, in order.

    Dropped: stop words, single characters, function-word classes (`FUNCTION_POS`),
    and tokens without a Chinese character or Latin letter (punctuation, whitespace,
    numbers). Dictionary terms written with numerals (三次创业, 一企一策) survive
    because the user dictionary tags them as nouns, not as numerals (m).
    """
    return [
        (term, pos)
        for term, pos in tagged
        if len(term) > 1
        and pos not in FUNCTION_POS
        and term not in stopwords
        and _WORDLIKE.search(term)
    ]


# ContentFilter.of_text looks tokens up TEXT_CHUNK at a time. A look-up that meets a token
# not seen yet raises KeyError and loses all it had found, and nearly every report holds
# such a token (a number, a name), anywhere, often near its end (a serial number): only
# the chunk holding it is looked up again. Shorter chunks would add a call per chunk for
# little; longer ones waste more on a miss (1024: 10 chunks for a report of 10,000 tokens).
TEXT_CHUNK = 1024
# The first misses of a text learn the one token missed (most reports hold only one or two
# new tokens); the next learns every token not seen yet from there on, in one pass over
# them (a set difference), so a text full of new tokens costs no more than that pass.
LEARN_ONE_BY_ONE = 2

# Marks a line break among content terms (ContentFilter.of_text); no pair equals it, and
# its term "\n" is no term's either.
LINE_BREAK = ("\n", "")


def split_lines(items: list, n_breaks: int, mark="\n") -> list[list]:
    """`items` cut at its first `n_breaks` items equal to `mark` (which are dropped).

    A line break is a token of its own for both engines (their regexes split text at
    whitespace, one character at a time, and no word holds a line break), so
    `split_lines(seg.cut(text), text.count("\n"))` is `[seg.cut(line) for line in
    text.split("\n")]` with one call of the engine: a quarter cheaper for a report."""
    lines, start = [], 0
    for end in break_positions(items, n_breaks, mark):
        lines.append(items[start:end])
        start = end + 1
    lines.append(items[start:])
    return lines


def break_positions(items: list, n_breaks: int, mark="\n") -> list[int]:
    """The positions of the first `n_breaks` items equal to `mark` (ValueError if fewer)."""
    positions, find, at = [], items.index, -1
    for _ in range(n_breaks):
        at = find(mark, at + 1)
        positions.append(at)
    return positions


def look_up_all(mapping: dict, keys: list) -> Sequence:
    """`[mapping[k] for k in keys]` (KeyError for a missing key), as fast as Python goes.

    `itemgetter(*keys)(mapping)` subscripts the dict straight from C, a little cheaper
    than `map(mapping.__getitem__, keys)`, which calls a bound method per key. An
    itemgetter of one key returns the value alone, not a tuple: fewer than two keys go
    through map.
    """
    if len(keys) < 2:
        return list(map(mapping.__getitem__, keys))
    return itemgetter(*keys)(mapping)


class ContentFilter:
    """`content_terms` for a whole corpus: the stop-word and word-likeness verdict on each
    term is remembered, so a term seen before costs one dict lookup instead of a set
    lookup and a regex search.

    `ContentFilter(stopwords)(tagged) == content_terms(tagged, stopwords)` always; the
    memo is per process (not pickled) and is emptied when it reaches `max_terms`.
    """

    def __init__(self, stopwords, max_terms: int = 500_000):
        self.stopwords = frozenset(stopwords)
        self.max_terms = max_terms
        self._memo: dict[str, bool] = {}
        # (segmenter, token -> kept (term, pos) pair or False): see of_words
        self._word_memo: tuple[Segmenter | None, dict[str, tuple[str, str] | bool]] = (None, {})

    def __getstate__(self):
        return {"stopwords": self.stopwords, "max_terms": self.max_terms}

    def __setstate__(self, state):
        self.__dict__.update(state, _memo={}, _word_memo=(None, {}))

    def __call__(self, tagged: list[tuple[str, str]]) -> list[tuple[str, str]]:
        memo = self._memo
        if len(memo) > self.max_terms:
            memo.clear()
        get, judge, function_pos = memo.get, self._judge, FUNCTION_POS
        # Cheap tests first; then a known term's verdict (True/False), a new one (None) is judged once.
        return [
            p for p in tagged
            if len(p[0]) > 1 and p[1] not in function_pos and (get(p[0]) or (p[0] not in memo and judge(p[0])))
        ]

    def _judge(self, term: str) -> bool:
        keep = self._memo[term] = bool(term not in self.stopwords and _WORDLIKE.search(term))
        return keep

    def of_words(self, words: list[str], text: str, segmenter: "Segmenter") -> list[tuple[str, str]]:
        """`self(segmenter.tag(text))` from `words == segmenter.cut(text)`, without tagging.

        With a segmenter whose tags depend on the token alone (`Segmenter.tags_by_word`),
        the whole verdict on a token - kept as a (term, pos) pair or dropped - depends on
        the token alone, and is remembered: a paragraph of known tokens costs one dict
        lookup per token, and the kept pairs are shared tuples, not built anew.
        """
        if not segmenter.tags_by_word or "\n" in text:  # line breaks: see of_text
            return self(segmenter.tag(text))
        return self.of_text(words, segmenter, text)  # a text of one line: no LINE_BREAK in it

    def of_text(self, words: list[str], segmenter: "Segmenter", text: str | None = None) -> list[tuple[str, str]] | None:
        """The content terms of a text whose tokens are `words` (== segmenter.cut(text)),
        each line break kept as `LINE_BREAK`, in one pass over the tokens. Tokens not
        seen before are learnt from `text` first (nearly every report has some: a number,
        a name); without `text`, None unless every token has been seen. None as well for
        a segmenter that tags in context.

        `split_lines(self.of_text(words, seg), text.count("\\n"), LINE_BREAK)` is
        `[self.of_words(w, line, seg) for ...]` for the lines of the text, without going
        through the tokens line by line. The tokens are looked up a chunk at a time
        (TEXT_CHUNK, LEARN_ONE_BY_ONE): a verdict depends on the token alone, so learning
        a few tokens or many before a look-up gives the same terms.
        """
        if not segmenter.tags_by_word:
            return None
        memo = self._verdicts(segmenter)
        memo["\n"] = LINE_BREAK  # of_words never looks a line break up (see there)
        terms: list[tuple[str, str]] = []
        start, misses = 0, 0
        while start < len(words):
            try:
                terms += filter(None, look_up_all(memo, words[start : start + TEXT_CHUNK]))
                start += TEXT_CHUNK
            except KeyError as missing:  # a token not seen yet: learn, then this chunk again
                if text is None:
                    return None
                if misses > LEARN_ONE_BY_ONE:  # every token from here on has been learnt
                    raise
                # The first few times the token met, then every one not seen yet from here on
                # (one pass over them: no more misses).
                unseen = missing.args if misses < LEARN_ONE_BY_ONE else set(words[start:]).difference(memo)
                self._learn(unseen, text, segmenter, memo)
                misses += 1
        return terms

    def _learn(self, unseen: Iterable[str], text: str, segmenter: "Segmenter", memo: dict) -> None:
        """Put the verdicts on `unseen` (tokens of `text`) in `memo`."""
        keeps = self._keeps
        for pair in segmenter.pairs_of(unseen, text):
            memo[pair[0]] = pair if keeps(pair) else False

    def _verdicts(self, segmenter: "Segmenter") -> dict[str, tuple[str, str] | bool]:
        owner, memo = self._word_memo
        if owner is not segmenter or len(memo) > self.max_terms:
            # Verdicts depend on the segmenter's tags. A new (segmenter, dict) pair rather
            # than clear(): a call running in another thread keeps the one it holds.
            memo = {}
            self._word_memo = (segmenter, memo)
        return memo

    def _keeps(self, pair: tuple[str, str]) -> bool:
        """self([pair]) == [pair]."""
        term, memo = pair[0], self._memo
        return len(term) > 1 and pair[1] not in FUNCTION_POS and bool(memo.get(term) or (term not in memo and self._judge(term)))


def keeps_whole(segmenter, term: str, template: str = "我们要推进{}工作") -> bool:
    """Whether `term` survives segmentation as one unit.

    Between commas it must be exactly one token, and inside the sentence
    `template` no token boundary may fall strictly inside it. Gluing to a
    neighbour (推进 + 改革 -> 推进改革, a jieba word) is the neighbour's doing and
    passes the second test; a split (大 + 数据) fails both.
    """
    if segmenter.cut(f"，{term}，") != ["，", term, "，"]:
        return False
    sentence = template.format(term)
    start = sentence.index(term)
    boundaries, pos = set(), 0
    for token in segmenter.cut(sentence):
        pos += len(token)
        boundaries.add(pos)
    return not any(start < b < start + len(term) for b in boundaries)


@dataclass(frozen=True)
class Segmenter:
    """Segments text with a user dictionary; `extra_words` always come out whole.

    Extra words (names found at build time: speakers, districts) are cut out of the
    text before segmentation rather than added to the dictionary, so they stay one
    token whatever their neighbours, cost nothing to change per report, and never
    alter the shared per-process engine.
    """

    engine: str = "rjieba"
    entries: tuple[DictEntry, ...] = ()
    extra_words: tuple[tuple[str, str], ...] = ()  # (word, tag)

    def __post_init__(self):
        if self.engine not in ENGINES:
            raise ValueError(f"unknown segmentation engine {self.engine!r}; use one of {ENGINES}")
        object.__setattr__(self, "_protect", _protector(self.extra_words, self.entries))
        object.__setattr__(self, "_engine", None)
        object.__setattr__(self, "_pairs", None)

    def __getstate__(self):
        # The engine and the tag memo stay behind; the receiving process builds its own.
        return {**self.__dict__, "_engine": None, "_pairs": None}

    def __setstate__(self, state):
        self.__dict__.update(state)

    @property
    def tags_by_word(self) -> bool:
        """Whether a token's tag depends on the token alone, not on the text around it.

        True for rjieba: its `tag` is its `cut` followed by a look-up per token (the
        dictionary's tag, else a tag worked out from the token's own characters), the
        user tags are applied per token (`_RJiebaBackend.tag`) and extra words are cut
        out with their own tag. False for jieba, whose posseg re-cuts and tags unknown
        stretches jointly.
        """
        return self.engine == "rjieba"

    def cut(self, text: str) -> list[str]:
        return self._split(text, self._backend().cut, lambda word, tag: word)

    def tag(self, text: str) -> list[tuple[str, str]]:
        if self.tags_by_word:
            return self.tag_words(self.cut(text), text)
        return self._tag_text(text)

    def _tag_text(self, text: str) -> list[tuple[str, str]]:
        return self._split(text, self._backend().tag, lambda word, tag: (word, tag))

    def tag_words(self, words: list[str], text: str) -> list[tuple[str, str]]:
        """`tag(text)`, given `words == cut(text)`.

        rjieba's `tag` costs twice its `cut` (a tuple and a tag string built per token);
        as a token's tag depends on the token alone (`tags_by_word`), it is looked up
        in a per-process memo of (word, tag) pairs instead, and the engine is asked only
        about tokens not seen before.
        """
        if not self.tags_by_word:
            return self._tag_text(text)
        memo = self._tag_memo()
        pairs = list(map(memo.get, words))
        if None in pairs:
            self._learn_tags(list(set(words).difference(memo)), text, memo)
            pairs = list(map(memo.get, words))
        return pairs

    def pairs_of(self, words: Iterable[str], text: str) -> list[tuple[str, str]]:
        """The (word, tag) pair of each of `words`, tokens of `text` (of `cut(text)`):
        `tag_words` for the few tokens a caller has not seen yet. Only for segmenters
        whose tags depend on the token alone (`tags_by_word`)."""
        if not self.tags_by_word:
            raise ValueError(f"the {self.engine} engine tags tokens in context: use tag_words")
        memo = self._tag_memo()
        words = list(words)
        unseen = set(words).difference(memo)
        if unseen:
            self._learn_tags(list(unseen), text, memo)
        return [memo[w] for w in words]

    def _tag_memo(self) -> dict[str, tuple[str, str]]:
        memo = self._pairs
        if memo is None or len(memo) > MAX_TAG_MEMO:
            # Extra words never come out of the engine (they are cut out of the text
            # before it sees it): their tags are the protector's.
            memo = {w: (w, t) for w, t in self._protect[1].items()} if self._protect else {}
            object.__setattr__(self, "_pairs", memo)
        return memo

    def _learn_tags(self, unseen: list[str], text: str, memo: dict) -> None:
        """Put the tags of `unseen` (distinct tokens of `cut(text)`) in the memo.

        A token alone is tagged as in the text when the engine cuts it alone into
        itself: the tokens are tagged alone, all in one call of the engine (one per line,
        as line breaks are tokens of their own, see `split_lines`). The few that are cut
        otherwise (dictionary words a higher-probability route splits, words found by
        the HMM in context) are learnt from tagging `text`.
        """
        if "\n" in unseen:  # a line break cannot be tagged between line breaks
            memo.update((w, (w, t)) for w, t in self._tag_text(text))
            return
        lines: list[list[tuple[str, str]]] = [[]]
        for pair in self._backend().tag("\n".join(unseen)):
            if pair[0] == "\n":
                lines.append([])
            else:
                lines[-1].append(pair)
        in_context = []
        for word, alone in zip(unseen, lines):
            if len(alone) == 1 and alone[0][0] == word:
                memo[word] = alone[0]
            else:
                in_context.append(word)
        if in_context:
            # Tagged in their lines (a token never spans a line break, see split_lines):
            # a report is not tagged whole for one word found by the HMM in one paragraph.
            for line in text.split("\n"):
                if any(w in line for w in in_context):
                    memo.update((w, (w, t)) for w, t in self._tag_text(line))

    def _backend(self):
        # Held on the instance: looking it up in the cache would hash every
        # dictionary entry on each call, as slow as segmenting a short paragraph.
        if self._engine is None:
            object.__setattr__(self, "_engine", _backend(self.engine, self.entries))
        return self._engine

    def _split(self, text, segment, emit):
        if self._protect is None:
            return segment(text)
        scanner, tags = self._protect
        out, pos = [], 0
        for m in scanner.finditer(text):
            out += segment(text[pos : m.start()]) if m.start() > pos else []
            out.append(emit(m.group(), tags[m.group()]))
            pos = m.end()
        out += segment(text[pos:]) if pos < len(text) else []
        return out


def build_segmenter(
    user_dict: Path | None = DICT_DIR / "userdict.txt",
    *,
    extra_words: Iterable[str | tuple[str, str]] = (),
    engine: str = "rjieba",
) -> Segmenter:
    """A segmenter with `user_dict` (jieba format) and `extra_words` kept whole.

    An extra word is a string (tagged ns if it ends like a place name - 区, 县, 市,
    镇 ... - else nr) or a (word, tag) pair; pass gazetteer names without such a
    suffix as pairs, e.g. ("潍坊", "ns").
    """
    entries = read_user_dict(user_dict) if user_dict is not None else ()
    return Segmenter(engine, entries, _tagged_words(extra_words))


@lru_cache(maxsize=64)
def get_segmenter(
    user_dict_paths: tuple[Path, ...], extra_words: tuple[str, ...] = (), engine: str = "rjieba"
) -> Segmenter:
    """Process-wide cached `build_segmenter` for workers: each process reads the
    dictionaries and builds the engine once per distinct argument tuple.

    Dictionary files are read on the first call only; call
    `get_segmenter.cache_clear()` after editing them in a long-lived process.
    """
    entries = tuple(e for p in user_dict_paths for e in read_user_dict(p))
    return Segmenter(engine, entries, _tagged_words(extra_words))


def _tagged_words(words: Iterable[str | tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    pairs = {}
    for w in words:
        word, tag = (w, None) if isinstance(w, str) else w
        word = word.strip()
        if word:
            pairs[word] = tag or ("ns" if word.endswith(_PLACE_SUFFIXES) else "nr")
    return tuple(sorted(pairs.items()))


def _protector(extra_words: tuple[tuple[str, str], ...], entries: tuple[DictEntry, ...]):
    """(Scanner of a regex, word -> tag) cutting extra words out of a text, or None
    without any. The Scanner gives the regex's own matches, and turns down in one search
    most of the places where a word's first character is not followed by its second.

    Dictionary entries that contain an extra word are cut out whole too, so the
    district 潍坊 does not break the dictionary term 潍坊高新区. Longest first:
    at any position the longest listed word wins.
    """
    if not extra_words:
        return None
    tags = {e.word: e.tag or "n" for e in entries if any(w in e.word for w, _ in extra_words)}
    tags.update(extra_words)
    return Scanner(longest_word_pattern(tags)), tags


@lru_cache(maxsize=8)
def _backend(engine: str, entries: tuple[DictEntry, ...]):
    # Keyed by the dictionary content, not its path: an edited file gives a new key.
    return _RJiebaBackend(entries) if engine == "rjieba" else _JiebaBackend(entries)


def _rjieba_class():
    """rjieba.Jieba without running rjieba/__init__.py, which builds a default tokenizer
    of jieba's whole dictionary (~0.1 s, on the critical path of a one-file rebuild)
    that is never used here: the extension module is loaded from its file and
    registered as `rjieba.rjieba`, so a later `import rjieba` reuses it. Any surprise in
    the package's layout falls back to the plain import."""
    module = sys.modules.get("rjieba.rjieba")
    if module is None:
        try:
            spec = importlib.util.find_spec("rjieba")
            folder = Path(spec.submodule_search_locations[0])
            path = next(p for s in importlib.machinery.EXTENSION_SUFFIXES if (p := folder / f"rjieba{s}").exists())
            ext = importlib.util.spec_from_file_location("rjieba.rjieba", path)
            module = importlib.util.module_from_spec(ext)
            ext.loader.exec_module(module)
            sys.modules["rjieba.rjieba"] = module
        except (ImportError, AttributeError, TypeError, StopIteration, OSError):
            import rjieba

            return rjieba.Jieba
    return module.Jieba


class _RJiebaBackend:
    def __init__(self, entries):
        self._jieba = _rjieba_class()()
        tags = {}
        for word, freq, tag in entries:
            tags[word] = tag or "n"
            self._jieba.add_word(word, _entry_freq(self._jieba.suggest_freq(word), freq), tags[word])
        # jieba-rs keeps the built-in tag of a word already in dict.txt (高新区 stays
        # nr, 十四五 stays m), so user tags for such words are applied after tagging.
        self._retag = {w: t for w, t in tags.items() if self._jieba.tag(w, False) != [(w, t)]}
        self._retag_re = longest_word_pattern(self._retag) if self._retag else None

    def cut(self, text):
        return self._jieba.cut(text, True)

    def tag(self, text):
        tagged = self._jieba.tag(text, True)
        # A token is a slice of the text: without a retagged word in the text there is
        # nothing to retag (most paragraphs), and the token list is returned as it is.
        if self._retag_re is None or not self._retag_re.search(text):
            return tagged
        retag = self._retag
        return [(w, retag[w]) if w in retag else (w, t) for w, t in tagged]


class _JiebaBackend:
    def __init__(self, entries):
        import jieba
        import jieba.posseg

        self._tokenizer = jieba.Tokenizer()
        for word, freq, tag in entries:
            suggested = self._tokenizer.suggest_freq(word, False)
            self._tokenizer.add_word(word, _entry_freq(suggested, freq), tag or "n")
        self._pos = jieba.posseg.POSTokenizer(self._tokenizer)

    def cut(self, text):
        return self._tokenizer.lcut(text, HMM=True)

    def tag(self, text):
        return [(p.word, p.flag) for p in self._pos.lcut(text, HMM=True)]


def _entry_freq(suggested: int, freq: int | None) -> int:
    """The frequency a user entry is added with: written, suggested or MIN_USER_FREQ.

    suggest_freq (the engine's; both share jieba's dict.txt, so they agree) is the
    smallest frequency at which a word beats its own pieces - in isolation only.
    In a sentence a neighbouring dict.txt compound still wins: with 12, 城市管理工作
    is cut 城市 / 管理工作. The floor MIN_USER_FREQ fixes that for every entry
    tested, and is low enough (dict.txt totals ~60M) that common words around a
    term keep their own segmentation.
    """
    return max(freq or 0, suggested, MIN_USER_FREQ)
