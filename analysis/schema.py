"""The registry of output tables: name -> builder -> columns.

This is the contract between `analysis` (which writes the tables) and `dashboard`
(which reads them). The build writes exactly these columns, in this order, with
these Arrow types; `python -m analysis tables` renders this registry as the
documentation in `analysis/TABLES.md` (a test keeps the two in sync).

`scope` says how a table is built:
- "file": rows come from analysing one input file on its own (the unit of work,
  cached by content hash, run in parallel);
- "corpus": rows are computed from other tables once all files are analysed.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Callable

import pyarrow as pa

SCHEMA_VERSION = 5

STR = pa.string()
INT = pa.int64()
FLOAT = pa.float64()
STRS = pa.list_(pa.string())


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    doc: str


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    scope: str  # "file" or "corpus"
    builder: str  # "module:function", resolved lazily to avoid import cycles
    columns: tuple[Column, ...]

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([(c.name, c.type) for c in self.columns])

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def builder_fn(self) -> Callable:
        module, func = self.builder.split(":")
        return getattr(import_module(module), func)


def _cols(*specs: tuple[str, pa.DataType, str]) -> tuple[Column, ...]:
    return tuple(Column(*s) for s in specs)


TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        Table(
            "files",
            "One row per input file: what was read, and why a file was skipped.",
            "file",
            "analysis.pipeline:file_columns",
            _cols(
                ("source_file", STR, "file name as given (relative to the build root)"),
                ("content_hash", STR, "sha256 of the file's bytes; unchanged files are not analysed again"),
                ("size_bytes", INT, "file size in bytes"),
                ("format", STR, "txt, docx, pdf or html"),
                ("encoding", STR, "detected text encoding (text files only)"),
                ("status", STR, "ok, skipped or duplicate"),
                ("message", STR, "why the file was skipped, naming the problem; empty when ok"),
                ("n_reports", INT, "number of reports found in the file"),
            ),
        ),
        Table(
            "reports",
            "One row per report (article, speech, signed contribution) found in a file. Its text is "
            "in `paragraphs` (stored once: the text of every report, joined, would double the store).",
            "file",
            "analysis.pipeline:report_columns",
            _cols(
                ("report_id", STR, "stable id: content hash prefix and position in the file"),
                ("source_file", STR, "file the report came from"),
                ("report_no", INT, "position of the report in its file, from 1"),
                ("title", STR, "headline, empty if none"),
                ("speaker", STR, "person who wrote or delivered it (byline), empty if unknown"),
                ("position", STR, "the speaker's post, e.g. 党委书记"),
                ("organization", STR, "the speaker's organisation, e.g. 济宁高新控股集团"),
                ("district", STR, "home district the report speaks for, canonical gazetteer name"),
                ("regions", STRS, "the district and the divisions it lies in, nearest first (济宁高新区, 济宁市, 山东省): "
                 "what the app's district filter matches, so 山东省 selects the reports of all its cities and counties"),
                ("benchmarks", STRS, "districts it visits, learns from or benchmarks against"),
                ("date", STR, "ISO date (YYYY-MM-DD, or YYYY-MM / YYYY when partial), empty if unknown"),
                ("date_source", STR, "where the date comes from: text (a dated header or meeting line), page (the web page's "
                 "publication tag), file_name (the file's name or folder, e.g. national_1954.txt), stated_year (the year the "
                 "text says it is in: 今年是“十四五”规划开局之年 -> 2021); empty without a date"),
                ("source", STR, "publishing body or outlet named in the text, e.g. 科技部"),
                ("reporters", STRS, "journalists credited (本报记者 ..., trailing (宋伟)); never speakers"),
                ("n_chars", INT, "length of the report's text in characters: its paragraphs (paragraphs.text) joined by newlines"),
            ),
        ),
        Table(
            "paragraphs",
            "One row per paragraph of a report, with the speaker it quotes.",
            "file",
            "analysis.pipeline:paragraph_columns",
            _cols(
                ("report_id", STR, "report the paragraph belongs to"),
                ("paragraph_no", INT, "position in the report, from 1"),
                ("speaker", STR, "speaker quoted in this paragraph (毕志伟指出...), else the report's speaker"),
                ("start", INT, "offset of the paragraph in the report's text (its paragraphs joined by newlines)"),
                ("text", STR, "paragraph text as shown to the reader"),
                ("text_simplified", STR, "for a report written in traditional characters, the text with them read as "
                 "simplified (same length; what keyword in context searches); null otherwise"),
            ),
        ),
        Table(
            "term_counts",
            "How often each content term occurs in each report (stop words removed), per speaker quoted.",
            "file",
            "analysis.pipeline:term_count_columns",
            _cols(
                ("report_id", STR, "report"),
                ("speaker", STR, "paragraph speaker the words belong to (a meeting report quotes several)"),
                ("term", STR, "segmented term"),
                ("count", INT, "occurrences in the report"),
                ("pos", STR, "part-of-speech tag (jieba tag set; user dictionary terms tagged by their entry)"),
            ),
        ),
        Table(
            "keywords",
            "Ranked keywords per report, by several methods.",
            "corpus",
            "analysis.corpus:write_keywords",
            _cols(
                ("report_id", STR, "report"),
                ("term", STR, "keyword"),
                ("weight", FLOAT, "score under the method (higher is more characteristic)"),
                ("rank", INT, "1 = strongest keyword of the report under this method"),
                ("method", STR, "tfidf (corpus IDF blended with jieba's IDF) or textrank"),
            ),
        ),
        Table(
            "themes",
            "Themes carried by each paragraph, from the editable theme dictionary.",
            "file",
            "analysis.pipeline:theme_columns",
            _cols(
                ("report_id", STR, "report"),
                ("paragraph_no", INT, "paragraph"),
                ("theme", STR, "theme name, e.g. 科技创新"),
                ("score", FLOAT, "strength of the theme in the paragraph"),
                ("evidence", STRS, "the dictionary terms that matched"),
            ),
        ),
        Table(
            "targets",
            "One row per quantity in a sentence: commitments kept apart from achievements.",
            "file",
            "analysis.pipeline:target_columns",
            _cols(
                ("report_id", STR, "report"),
                ("paragraph_no", INT, "paragraph"),
                ("speaker", STR, "who committed to it (paragraph speaker)"),
                ("district", STR, "the report's district"),
                ("sentence", STR, "the sentence holding the quantity, as in the report"),
                ("span", STR, "the quantity as written, e.g. 30亿元"),
                ("indicator", STR, "what is measured, e.g. 新增融资到位"),
                ("value", FLOAT, "the number (lower bound of a range)"),
                ("value_max", FLOAT, "upper bound of a range such as 20-30亿元, else empty"),
                ("unit", STR, "unit as written: 亿元, %, 个, 家, 项 ..."),
                ("value_normalised", FLOAT, "value in the base unit where units allow (亿元 -> 元)"),
                ("unit_normalised", STR, "base unit of value_normalised"),
                ("hedge", STR, "力争, 确保, 以上, 左右, 不低于, 必须 ... (several joined by |)"),
                ("deadline", STR, "全年, 年内, 三年, 第二季度, 到2025年 ..."),
                ("kind", STR, "target (forward commitment), achievement (already reached) or context"),
            ),
        ),
        Table(
            "benchmarks",
            "Edges of who learns from whom: a report's district and a district it benchmarks.",
            "file",
            "analysis.pipeline:benchmark_columns",
            _cols(
                ("report_id", STR, "report"),
                ("district", STR, "the learner: the report's district"),
                ("benchmark", STR, "the district learned from"),
                ("benchmark_regions", STRS, "the benchmark and the divisions it lies in, nearest first (潍坊高新区, 潍坊市, "
                 "山东省): the network by city or province"),
                ("n_mentions", INT, "paragraphs of the report that name the benchmark"),
                ("themes", STRS, "themes of those paragraphs, most frequent first"),
            ),
        ),
    ]
}


def render_markdown() -> str:
    """The table documentation, rendered from the registry."""
    lines = [
        "# Tables written by `python -m analysis build`",
        "",
        "Generated from `analysis/schema.py` by `python -m analysis tables`; do not edit by hand.",
        f"Schema version {SCHEMA_VERSION}. Each table is `<store>/<name>.parquet`.",
        "",
    ]
    for t in TABLES.values():
        lines += [f"## `{t.name}` ({t.scope})", "", t.doc, "", "| column | type | meaning |", "|---|---|---|"]
        lines += [f"| `{c.name}` | {c.type} | {c.doc} |" for c in t.columns]
        lines.append("")
    return "\n".join(lines)
