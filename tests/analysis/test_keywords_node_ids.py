"""TextRank's node ids are those of the plain dict/setdefault version, array type included."""

from __future__ import annotations

import numpy as np
import pytest

from analysis import keywords as kw

ALLOW = frozenset(kw.TEXTRANK_POS)
BREAK = ("\n", "")  # the line-break marker among a report's terms


def _node_ids_plain(tagged_terms, allow):
    index: dict[str, int] = {}
    ids = []
    for term, pos in tagged_terms:
        if pos in allow:
            if term not in index:
                index[term] = len(index)
            ids.append(index[term])
    return np.array(ids, dtype=np.int64), list(index)


CASES = {
    "empty": [],
    "one allowed term": [("孵化器", "n")],
    "one disallowed term only": [("不断", "d")],
    "line breaks only": [BREAK, BREAK],
    "line breaks between terms": [BREAK, ("产业", "n"), BREAK, BREAK, ("园区", "ns"), BREAK],
    "repeated terms": [("甲", "n"), ("乙", "v"), ("甲", "n"), ("甲", "n"), ("丙", "vn"), ("乙", "v")],
    # 发展 first as an adverb (not a node), then as a verb: its id comes after 产业's
    "disallowed first, allowed later": [("发展", "d"), ("产业", "n"), ("发展", "v"), ("发展", "d"), ("产业", "n")],
    "same term under several allowed tags": [("建设", "v"), ("项目", "n"), ("建设", "vn"), ("项目", "n")],
    "long": [(f"词{i % 37}", ("n", "v", "uj", "", "x", "m")[i % 6]) for i in range(1000)],
}


@pytest.mark.parametrize("tagged", CASES.values(), ids=CASES.keys())
def test_node_ids_equal_the_plain_version(tagged):
    ids, vocab = kw._node_ids(tagged, ALLOW)
    plain_ids, plain_vocab = _node_ids_plain(tagged, ALLOW)
    assert ids.dtype == np.int64 and ids.ndim == 1
    assert ids.tolist() == plain_ids.tolist()
    assert vocab == plain_vocab
    assert [vocab[i] for i in ids.tolist()] == [t for t, p in tagged if p in ALLOW]


def test_a_term_gets_its_id_at_its_first_allowed_occurrence():
    ids, vocab = kw._node_ids(CASES["disallowed first, allowed later"], ALLOW)
    assert vocab == ["产业", "发展"] and ids.tolist() == [0, 1, 0]
    ids, vocab = kw._node_ids(CASES["one disallowed term only"] + CASES["line breaks only"], ALLOW)
    assert vocab == [] and ids.tolist() == [] and ids.dtype == np.int64
