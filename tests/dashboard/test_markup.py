"""escape_markdown / highlight: report text can never become markup or HTML."""

from __future__ import annotations

import html
import re

import pytest

from dashboard.markup import Span, escape_inline, escape_markdown, find_all, highlight, highlight_terms

HOSTILE = [
    "<script>alert(1)</script>",
    "**x**",
    "[a](javascript:x)",
    "$x$",
    "![img](http://example.com/x.png)",
    "<img src=x onerror=alert(1)>",
    "&lt;b&gt;entity&lt;/b&gt; &amp; &#60;script&#62;",
    ":red[colour] :material/home: :smile:",
    "# heading\n- item\n1. item\n> quote\n    code block",
    "`code` ~~strike~~ _em_ | a | b |",
    "line one\\\nbackslash \\* end\\",
    "===\n---",
    "http://example.com www.example.com <http://x.y>",
]

# After escaping, every ASCII punctuation character must be preceded by a backslash
# (an odd number of them), so CommonMark treats it literally.
PUNCT = re.compile(r"[!-/:-@\[-`{-~]")


def _unescaped_specials(md: str) -> list[str]:
    bad = []
    i = 0
    while i < len(md):
        ch = md[i]
        if ch == "\\" and i + 1 < len(md) and PUNCT.match(md[i + 1]):
            i += 2
            continue
        if PUNCT.match(ch):
            bad.append(ch)
        i += 1
    return bad


@pytest.mark.parametrize("text", HOSTILE)
def test_every_special_is_escaped(text):
    md = escape_markdown(text)
    assert _unescaped_specials(md.replace("  \n", "\n")) == []
    assert "<" not in md.replace("\\<", "")
    assert "&" not in md.replace("\\&", "")


@pytest.mark.parametrize("text", HOSTILE)
def test_commonmark_renders_the_text_literally(text):
    markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py not installed (optional check)")
    md = markdown_it.MarkdownIt("commonmark", {"html": True})
    rendered = md.render(escape_markdown(text))
    # Only paragraphs and line breaks, no other element, and the visible text is the input.
    tags = set(re.findall(r"</?([a-z0-9]+)", rendered))
    assert tags <= {"p", "br"}, rendered
    visible = html.unescape(re.sub(r"<br />\n?", "\n", re.sub(r"</?p>", "", rendered))).strip()
    expected = "\n".join(re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines())
    assert visible == expected


def test_inline_escape_joins_lines():
    assert "\n" not in escape_inline("a\nb<c>")
    assert escape_inline("a\nb<c>") == "a b\\<c\\>"
    assert escape_inline(None) == "" and escape_markdown(None) == ""


def test_indentation_never_becomes_code():
    assert escape_markdown("        indented") == "indented"


def test_highlight_wraps_escaped_term():
    md = highlight_terms("全年新增融资到位实现20亿元、力争30亿元", ["30亿元"])
    assert md.endswith(":orange-background[**30亿元**]")
    assert md.count(":orange-background[") == 1


def test_highlight_escapes_inside_and_outside():
    text = "前[x](javascript:y)后<b>中</b>"
    md = highlight_terms(text, ["<b>中</b>"])
    assert ":orange-background[**\\<b\\>中\\<\\/b\\>**]" in md
    outside = md.replace(":orange-background[**\\<b\\>中\\<\\/b\\>**]", "")
    assert _unescaped_specials(outside) == []


def test_highlight_overlaps_first_wins_and_clips():
    text = "科技创新驱动科技"
    md = highlight(text, [Span(0, 4, "target"), Span(2, 6, "keyword"), Span(6, 99, "keyword"), Span(-5, 0, "evidence")])
    assert md == ":orange-background[**科技创新**]驱动:blue-background[科技]"


def test_longer_terms_win():
    md = highlight_terms("科技创新和科技", ["科技", "科技创新"])
    assert md == ":orange-background[**科技创新**]和:orange-background[**科技**]"


def test_find_all_non_overlapping():
    assert find_all("aaaa", "aa") == [(0, 2), (2, 4)]
    assert find_all("abc", "") == []
