"""Faster `finditer` for the big alternation patterns of targets.py; same matches.

Python's `re` skips ahead quickly only when a pattern starts with a literal or a
character class. A pattern that opens with an alternation of groups (`(?P<num>\\d+|[一二
...])`, or the cue list of targets.py with its look-behinds) is instead tried in full at
every position of the text, which made the target extractor the slowest step of the
per-file analysis.

`Scanner(pattern)` works out, from the parsed pattern, the characters any match must
start with and the pairs of characters it can start with (look-arounds and anchors
consume nothing and are looked through), finds the candidate positions with a pattern
that opens with a plain character class (`first_two_chars`: a first character followed
by a possible second one, or a one-character match), and tries `pattern.match` only
there. The matches are exactly those of `pattern.finditer`: a match can only start on
such a character, `match` at a position tries the alternatives in the same order as the
search does at that position, look-behinds still see the text before `pos`, and the scan
resumes at the end of each match as finditer does. Patterns that could match the empty
string, or whose first character cannot be worked out (negated classes, `.`,
back-references, case-insensitive flags), fall back to `pattern.finditer` itself.
(tests/analysis/test_scan.py checks both on the corpus and on random strings.)
"""

from __future__ import annotations

import re
from re import _constants as C
from re import _parser
from typing import Iterator, NamedTuple

_CATEGORIES = {C.CATEGORY_DIGIT: r"\d", C.CATEGORY_WORD: r"\w", C.CATEGORY_SPACE: r"\s"}


class _Unknown(Exception):
    pass


class _Start(NamedTuple):
    """How the matches of a piece of pattern can start, as character-class items."""

    first: frozenset[str]  # first characters of its non-empty matches
    single: frozenset[str]  # its one-character matches
    pairs: frozenset[tuple[str, str]]  # first two characters of its longer matches
    nullable: bool  # it can match the empty string


_EMPTY = _Start(frozenset(), frozenset(), frozenset(), True)  # look-arounds, anchors


def _then(x: _Start, y: _Start) -> _Start:
    """The starts of x followed by y."""
    return _Start(
        x.first | y.first if x.nullable else x.first,
        (x.single if y.nullable else frozenset()) | (y.single if x.nullable else frozenset()),
        x.pairs | {(a, b) for a in x.single for b in y.first} | (y.pairs if x.nullable else frozenset()),
        x.nullable and y.nullable,
    )


def _start_of_sequence(items) -> _Start:
    out = _EMPTY
    for op, av in items:
        out = _then(out, _start_of_item(op, av))
    return out


def _start_of_item(op, av) -> _Start:
    if op is C.LITERAL:
        one = frozenset({re.escape(chr(av))})
        return _Start(one, one, frozenset(), False)
    if op is C.IN:
        out = set()
        for iop, iav in av:
            if iop is C.LITERAL:
                out.add(re.escape(chr(iav)))
            elif iop is C.RANGE:
                out.add(f"{re.escape(chr(iav[0]))}-{re.escape(chr(iav[1]))}")
            elif iop is C.CATEGORY and iav in _CATEGORIES:
                out.add(_CATEGORIES[iav])
            else:
                raise _Unknown(iop)  # NEGATE, negated categories ...
        return _Start(frozenset(out), frozenset(out), frozenset(), False)
    if op is C.BRANCH:
        starts = [_start_of_sequence(seq) for seq in av[1]]
        return _Start(
            frozenset().union(*(s.first for s in starts)),
            frozenset().union(*(s.single for s in starts)),
            frozenset().union(*(s.pairs for s in starts)),
            any(s.nullable for s in starts),
        )
    if op is C.SUBPATTERN:
        _, add_flags, del_flags, sub = av
        if add_flags or del_flags:
            raise _Unknown(op)
        return _start_of_sequence(sub.data if hasattr(sub, "data") else sub)
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
        lo, hi, sub = av
        x = _start_of_sequence(sub.data if hasattr(sub, "data") else sub)
        # Two characters can come from two repetitions, each one character long.
        pairs = x.pairs | {(a, b) for a in x.single for b in x.first} if hi > 1 else x.pairs
        return _Start(x.first, x.single, frozenset(pairs), x.nullable or lo == 0)
    if op in (C.ASSERT, C.ASSERT_NOT, C.AT):
        return _EMPTY  # zero width: the next item decides
    raise _Unknown(op)


def _start(pattern: re.Pattern) -> _Start | None:
    """How the matches of `pattern` start, or None if that cannot be worked out (or the
    pattern can match the empty string)."""
    if not isinstance(pattern.pattern, str) or pattern.flags & (re.IGNORECASE | re.VERBOSE | re.DOTALL):
        return None
    try:
        start = _start_of_sequence(_parser.parse(pattern.pattern, pattern.flags).data)
    except _Unknown:
        return None
    return None if start.nullable or not start.first else start


def first_chars(pattern: re.Pattern, after_first: str = "") -> re.Pattern | None:
    """A character class matching every character a match of `pattern` can start with,
    or None if that cannot be worked out (or the pattern can match the empty string).
    `after_first`: a look-around that holds wherever a match starts, tested in C right
    after the first character (the caller's knowledge of where matches can start)."""
    start = _start(pattern)
    if start is None:
        return None
    return re.compile("[" + "".join(sorted(start.first)) + "]" + after_first, pattern.flags & re.ASCII)


def first_two_chars(pattern: re.Pattern, after_first: str = "") -> re.Pattern | None:
    """A pattern matching where a match of `pattern` can start, from its first two
    characters: `[first](?:[second]|(?<=[one-character matches]))`.

    It starts with a character class, so `re` skips to its candidates in C, and it rejects
    in C too most of the places where only the first character fits (年 but not 年来, 上
    but not 上年), which `first_chars` leaves to a `match` call each. (One class for all
    second characters: a look-behind per first character costs more in `re` than the
    extra candidates it would reject.) None where `first_chars` gives None. `after_first`
    as for `first_chars`.
    """
    start = _start(pattern)
    if start is None:
        return None
    first, seconds = set(start.single), set()
    for a, b in start.pairs:
        if a not in start.single:  # a one-character match needs no second character
            first.add(a)
            seconds.add(b)
    if not start.first <= first:
        return None  # cannot happen; never miss a match if it did
    branches = []
    if seconds:
        branches.append("[" + "".join(sorted(seconds)) + "]")
    if start.single:
        branches.append("(?<=[" + "".join(sorted(start.single)) + "])")
    return re.compile("[" + "".join(sorted(first)) + "]" + after_first + "(?:" + "|".join(branches) + ")",
                      pattern.flags & re.ASCII)


def chars_of(pattern: str) -> frozenset[str]:
    """The characters a match of `pattern` can hold, but for \\d's (str.isdecimal): its
    literals and class members outside look-arounds (which hold none). Raises ValueError
    on what it cannot list (a range, \\w, a negated class)."""
    out, todo = set(), list(_parser.parse(pattern))
    while todo:
        op, av = todo.pop()
        if op is C.LITERAL:
            out.add(chr(av))
        elif op is C.IN:
            todo += av
        elif op is C.BRANCH:
            todo += [item for seq in av[1] for item in seq]
        elif op in (C.SUBPATTERN, C.MAX_REPEAT, C.MIN_REPEAT):
            todo += av[-1]
        elif not (op in (C.ASSERT, C.ASSERT_NOT, C.AT) or (op is C.CATEGORY and av is C.CATEGORY_DIGIT)):
            raise ValueError(f"cannot list the characters of {op} {av}")
    return frozenset(out)


class Scanner:
    """`Scanner(p).finditer(s, pos, endpos)` yields the matches of `p.finditer(s, pos, endpos)`.

    `after_first`: a look-around that holds wherever a match of `p` starts, tested in C
    right after a candidate's first character, so that fewer candidates cost a `match`
    call (targets.py: a digit starts a cue only as in 1-11月份)."""

    def __init__(self, pattern: re.Pattern, after_first: str = ""):
        self.pattern = pattern
        # Where a match can start (None: plain finditer). From the first two characters
        # where they can be listed, else from the first.
        self.candidates = first_two_chars(pattern, after_first) or first_chars(pattern, after_first)

    def finditer(self, string: str, pos: int = 0, endpos: int | None = None) -> Iterator[re.Match]:
        if endpos is None or endpos > len(string):
            endpos = len(string)
        if self.candidates is None:
            yield from self.pattern.finditer(string, pos, endpos)
            return
        find, match = self.candidates.search, self.pattern.match
        while True:
            c = find(string, pos, endpos)
            if c is None:
                return
            m = match(string, c.start(), endpos)
            if m is None:
                pos = c.start() + 1
            else:
                yield m
                pos = m.end()  # never empty: first_chars rejects patterns that can be

    def search(self, string: str, pos: int = 0, endpos: int | None = None) -> re.Match | None:
        """`p.search(string, pos, endpos)`: the first match of `finditer`, without a generator
        (called once or twice per quantity by targets.py)."""
        if endpos is None or endpos > len(string):
            endpos = len(string)
        if self.candidates is None:
            return self.pattern.search(string, pos, endpos)
        find, match = self.candidates.search, self.pattern.match
        while (c := find(string, pos, endpos)) is not None:
            if (m := match(string, c.start(), endpos)) is not None:
                return m
            pos = c.start() + 1
        return None


def longest_word_pattern(words) -> re.Pattern:
    """A pattern matching, at each position, the longest of `words` that starts there:
    the matches of `"|".join(map(re.escape, sorted(words, key=len, reverse=True)))`,
    written as a trie (潍坊(?:高新区|市)?) rather than one alternative per word.

    Both find the same: at a position the plain alternation takes the first word in
    order of length that matches, i.e. the longest (two words of one length cannot both
    match there); the trie tries each continuation before stopping at a shorter word,
    and siblings start with different characters, so at most one can go on. The trie is
    faster: `re` skips to a possible first character in C either way, but there tries
    one branch per character instead of every word (tests/analysis/test_scan.py).
    """
    trie: dict = {}
    for word in words:
        if not word:
            raise ValueError("empty word")
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}  # a word ends here
    return re.compile(_trie_regex(trie))


def _trie_regex(node: dict) -> str:
    branches = [re.escape(ch) + _trie_regex(child) for ch, child in sorted(node.items()) if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if "" in node:  # a word ends here: longer ones first (greedy), else stop
        return f"(?:{body})?"
    return body
