"""Hostile and broken input files, made here: each is read, or refused with a clear message
naming the file, in bounded time and memory; together in one build, the rest still builds.

Each case runs alone through `analysis.readers.read_bytes`, then all of them together
through `analysis.build.build([...], out, workers=1)`. Cases that could cost gigabytes or
hours if the defences failed (zip bombs, PDF bombs, a 20 MB report) run in a child
process with a capped address space and a time limit, so a regression fails the test
instead of taking the machine down.
"""

from __future__ import annotations

import json
import random
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

import hostile as H
from analysis import readers
from analysis.readers import Document, IngestError, display_name, read_bytes

GBK_PASSAGE = "混入的国标码段落，这一段是用国标码写成的。"
FRENCH = "Le rapport du gouvernement : la croissance économique était de 5 % cette année, très élevée.\n" * 3


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[], bytes]
    problem: str | None = None  # expected start of IngestError.problem; None: the file reads
    check: Callable[[Document], None] | None = None

    def __str__(self) -> str:
        return self.name


def _mixed_lines() -> bytes:
    return H.REPORT.encode() + (GBK_PASSAGE + "\n").encode("gbk") + H.REPORT.encode()


def _mixed_mid_line() -> bytes:
    return ("开头是统一码：" + H.PARA1).encode() + GBK_PASSAGE.encode("gbk") + ("然后回到统一码。" + H.PARA2).encode()


def _expect_text(*parts: str, encoding: str | None = None):
    def check(doc: Document) -> None:
        for part in parts:
            assert part in doc.text, part
        assert "\ufffd" not in doc.text
        if encoding:
            assert doc.encoding == encoding

    return check


def _no_invisible(doc: Document) -> None:
    for ch in doc.text:
        assert unicodedata.category(ch) not in ("Cc", "Cs") or ch in "\t\n", repr(ch)
    assert "\u2028" not in doc.text  # a line break; zero-width spaces are clean.strip_control's job


def _controls() -> bytes:
    # A few stray controls in ordinary prose (a dense run of them is binary junk instead).
    text = f"\x00{H.PARA1}\x07\x1b[31m红色\x1b[0m\x7f\x85{H.PARA2}\u200b\u2028{H.PARA1}\x0c{H.PARA2}\x00"
    return text.encode()


def _check_controls(doc: Document) -> None:
    _no_invisible(doc)
    assert doc.text.replace("\u200b", "").split("\n") == [f"{H.PARA1}[31m红色[0m", H.PARA2, H.PARA1, H.PARA2]


def _surrogates_cesu8() -> bytes:
    # Java/JavaScript exports: a lone surrogate and an emoji written as two surrogates.
    return H.PARA1.encode() + "\ud800".encode("utf-8", "surrogatepass") + "\ud83d\ude00".encode("utf-8", "surrogatepass") + H.PARA2.encode()


def _surrogate_utf16() -> bytes:
    return "\ufeff".encode("utf-16-le") + H.PARA1.encode("utf-16-le") + b"\x00\xd8" + H.PARA2.encode("utf-16-le")


def _check_surrogates(doc: Document) -> None:
    _no_invisible(doc)
    assert H.PARA1 in doc.text and H.PARA2 in doc.text


def _cut_mid_character() -> bytes:
    data = (H.REPORT.strip() + "完").encode()
    return data[:-1]  # the last character loses its last byte (an interrupted copy)


def _html_check(doc: Document) -> None:
    assert H.PARA1 in doc.text and H.PARA2 in doc.text
    for marker in H.PAYLOADS + H.FORBIDDEN:
        assert marker not in doc.text, marker


CASES = [
    Case("empty.txt", lambda: b"", "empty file"),
    Case("whitespace.txt", lambda: " \r\n\t\u3000\n\u00a0 \n".encode(), "empty file"),
    Case("whitespace-utf16.txt", lambda: " \n\u3000\n".encode("utf-16"), "empty file"),
    Case("junk.txt", lambda: random.Random(7).randbytes(8192), "binary or undecodable content"),
    Case("junk-without-nul.txt", lambda: random.Random(8).randbytes(8192).replace(b"\0", b"\1"), "binary or undecodable content"),
    Case("program.md", lambda: b"\x7fELF\x02\x01\x01\x00" + random.Random(9).randbytes(4000), "binary or undecodable content"),
    Case("image.html", lambda: b"\x89PNG\r\n\x1a\n" + random.Random(10).randbytes(4000), "binary or undecodable content"),
    Case("gbk-lines-in-utf8.txt", _mixed_lines, check=_expect_text(H.PARA1, H.PARA2, GBK_PASSAGE, encoding="utf-8+gb18030")),
    Case("gbk-mid-line-in-utf8.txt", _mixed_mid_line, check=_expect_text("开头是统一码：" + H.PARA1 + GBK_PASSAGE + "然后回到统一码。")),
    Case("gbk.txt", lambda: H.REPORT.encode("gbk"), check=_expect_text(H.PARA1, H.PARA2, encoding="gb18030")),
    Case("latin1.txt", lambda: FRENCH.encode("latin-1"), check=lambda doc: _expect_text(FRENCH.strip())(doc)),
    Case("cut-mid-character.txt", _cut_mid_character, check=lambda doc: _expect_text(H.REPORT.strip())(doc)),
    Case("control-characters.txt", _controls, check=_check_controls),
    Case("surrogates-cesu8.txt", _surrogates_cesu8, check=lambda doc: (_check_surrogates(doc), _expect_text("😀")(doc))),
    Case("surrogate-utf16.txt", _surrogate_utf16, check=_check_surrogates),
    Case("one-character.txt", lambda: "字".encode(), check=lambda doc: _expect_text("字")(doc)),
    Case("zero.docx", lambda: b"", "empty file"),
    Case("zero.pdf", lambda: b"", "empty file"),
    Case("truncated.docx", lambda: H.docx_bytes([H.PARA1, H.PARA2])[:3000], "broken DOCX"),
    Case("truncated.pdf", lambda: H.cjk_pdf([H.PARA1, H.PARA2])[:900], "broken PDF"),
    Case("text-named.docx", lambda: H.REPORT.encode(), "broken DOCX (not a zip archive)"),
    Case("text-named.pdf", lambda: H.REPORT.encode(), "broken PDF (no PDF header)"),
    Case("encrypted.pdf", lambda: H.rc4_encrypted_pdf("secret"), "encrypted PDF (password required)"),
    Case("encrypted-aes256.pdf", H.aes256_encrypted_pdf, "encrypted PDF"),
    Case("permissions-only.pdf", lambda: H.rc4_encrypted_pdf(""), check=_expect_text(H.PARA1)),
    Case("many-parts.docx", lambda: H.docx_with_many_parts(5001), "broken DOCX (more than 5000 parts)"),
    Case("lzma-part.docx", H.docx_with_lzma_part, "broken DOCX (part word/document.xml uses an unsupported compression)"),
    Case("hostile.html", lambda: H.HOSTILE_HTML.encode(), check=_html_check),
    Case("hostile-big.htm", lambda: H.big_hostile_html().encode(), check=_html_check),
    Case("scripts-only.html", lambda: b"<html><script>alert(1)</script><iframe src=x></iframe></html>", "HTML has no readable text"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_each_hostile_file_alone_is_read_or_refused_clearly(case):
    data = case.make()
    with H.time_limit(60):
        if case.problem is None:
            doc = read_bytes(data, case.name)
            assert doc.text.strip()
            case.check(doc)
        else:
            with pytest.raises(IngestError) as info:
                read_bytes(data, case.name)
            assert str(info.value) == f"{case.name}: {info.value.problem}"
            assert info.value.problem.startswith(case.problem), info.value.problem


def test_the_big_hostile_page_is_over_the_trafilatura_limit():
    assert len(H.big_hostile_html()) > readers._TRAFILATURA_MAX_CHARS  # the case above takes the lxml path


# --- bombs: child process, capped address space, time limit ----------------------------------------


def _read_bounded(path: Path, *, max_bytes: int = readers.DEFAULT_MAX_BYTES, max_mb: int = 1024, timeout: float = 120):
    run = H.run_bounded(H.READ_ONE, timeout=timeout, max_mb=max_mb, args=[str(path), str(max_bytes)])
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout), run


def test_docx_zip_bomb_inflating_to_3_gib_is_refused_from_its_headers(tmp_path):
    path = H.write_docx_bomb(tmp_path / "bomb.docx", 3 << 10)
    assert path.stat().st_size < 4 << 20
    result, run = _read_bounded(path, max_mb=768, timeout=60)
    assert result == {"ok": False, "error": "bomb.docx: DOCX expands to more than 200 MB (zip bomb?)",
                      "problem": "DOCX expands to more than 200 MB (zip bomb?)"}
    print(f"3 GiB zip bomb: refused in {run.seconds:.2f} s, peak {run.peak_rss_mb:.0f} MB")


def test_docx_zip_bomb_with_lying_headers_is_refused_without_inflating_it(tmp_path):
    # The headers declare a small valid document; zipfile would inflate up to 2 GB to
    # return those few bytes (it asks zlib for MAX_N at once), so this needs its own check.
    path = H.write_docx_bomb(tmp_path / "liar.docx", 3 << 10, lie=True)
    result, run = _read_bounded(path, max_mb=768, timeout=60)
    assert result["ok"] is False
    assert result["problem"] == "DOCX part word/document.xml inflates past its declared size (zip bomb?)"
    print(f"lying 3 GiB zip bomb: refused in {run.seconds:.2f} s, peak {run.peak_rss_mb:.0f} MB")


def test_honest_docx_holding_more_text_than_the_size_limit_is_refused(tmp_path):
    path = tmp_path / "long.docx"
    path.write_bytes(H.docx_with_big_honest_text(20_000))
    assert path.stat().st_size < 1 << 20  # a small file: the limit is on what it unpacks to
    result, _ = _read_bounded(path, max_bytes=1 << 20, timeout=120)
    assert result["problem"] == "DOCX unpacks to more than 1 MB of text, over the size limit"


@pytest.mark.slow
def test_pdf_form_bomb_is_refused_within_the_operation_budget(tmp_path):
    path = tmp_path / "forms.pdf"
    path.write_bytes(H.form_bomb_pdf(5000, 4096))  # 20 million operations in under 1 KB
    assert path.stat().st_size < 2048
    result, run = _read_bounded(path, max_mb=1024, timeout=300)
    assert result["problem"] == f"PDF needs over {readers._PDF_MAX_OPERATIONS:,} drawing operations (PDF bomb?)"
    print(f"PDF form bomb: refused in {run.seconds:.1f} s, peak {run.peak_rss_mb:.0f} MB")


def test_pdf_whose_pages_share_a_huge_content_stream_is_stopped_by_the_clock(monkeypatch):
    # 2,000 pages drawing one stream that inflates to 5 MB of spaces: about a second of
    # pypdf work a page, half an hour in all. The deadline (120 s in use) is checked
    # between pages and every 10,000 operations.
    data = H.shared_content_pdf(b"BT /F1 12 Tf 72 720 Td (Hello) Tj ET\n" + b" " * 5_000_000, 2000)
    assert len(data) < 500_000
    monkeypatch.setattr(readers, "_PDF_MAX_SECONDS", 0.5)
    with H.time_limit(60), pytest.raises(IngestError) as info:
        read_bytes(data, "pages.pdf")
    assert info.value.problem == "PDF took over 0.5 s to read (PDF bomb?)"


def test_pdf_operation_budget_counts_operations_inside_forms(monkeypatch):
    monkeypatch.setattr(readers, "_PDF_MAX_OPERATIONS", 50_000)
    with H.time_limit(60), pytest.raises(IngestError) as info:
        read_bytes(H.form_bomb_pdf(100, 1000), "forms.pdf")
    assert info.value.problem == "PDF needs over 50,000 drawing operations (PDF bomb?)"
    assert read_bytes(H.form_bomb_pdf(3, 1000), "small.pdf").text.split() == ["Hi", "Hi", "Hi"]


# --- file names --------------------------------------------------------------------------------------

ODD_NAMES = {
    "newline": "report\n0 files, 0 reports.txt",
    "terminal": "\x1b[2J\x1b]0;owned\x07clear.txt",
    "bidi": "invoice\u202etxt.exe.txt",
    "markup": "<img src=x onerror=alert(1)>.txt",
}


@pytest.mark.parametrize("name", list(ODD_NAMES.values()), ids=list(ODD_NAMES))
def test_an_odd_file_name_is_shown_escaped_on_one_line(name):
    with pytest.raises(IngestError) as info:
        read_bytes(b"", name)
    message = str(info.value)
    assert message == f"{display_name(name)}: empty file"
    assert message.isprintable() and "\x1b" not in message and "\u202e" not in message
    assert info.value.path.name == name  # the name itself is kept, as data


def test_uploaded_names_never_become_paths():
    assert read_bytes(H.REPORT.encode(), "../../etc/cron.d/x.txt").text.startswith("2026年")
    with pytest.raises(IngestError) as info:
        read_bytes(b"", "..\\..\\Windows\\win.ini.txt")
    assert str(info.value) == "win.ini.txt: empty file"
    with pytest.raises(IngestError) as info:
        read_bytes(H.REPORT.encode(), "../..")
    assert str(info.value).startswith("upload: unsupported file type")


# --- the whole batch in one build ------------------------------------------------------------------------

BUILD_BATCH = """
from analysis.build import build
from analysis.store import open_snapshot
result = build([sys.argv[1]], sys.argv[2], workers=1)
snap = open_snapshot(sys.argv[2])
files = snap.read("files").to_pylist()
reports = snap.read("reports", ["source_file", "report_no"]).to_pylist()
print(json.dumps({"n_files": result.n_files, "n_reports": result.n_reports, "skipped": result.skipped,
                  "summary": result.summary(), "files": files, "reports": reports}))
"""


def _tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


@pytest.mark.slow
def test_all_hostile_files_in_one_build_are_reported_by_name_and_the_rest_builds(tmp_path):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    for case in CASES:
        (src / case.name).write_bytes(case.make())
    H.write_docx_bomb(src / "bomb.docx", 3 << 10)
    H.write_docx_bomb(src / "liar.docx", 1 << 10, lie=True)
    (src / "forms.pdf").write_bytes(H.form_bomb_pdf(2, 1000))  # the full-size form bomb is tested above
    for i, seed in enumerate(sorted(H.SEEDS.glob("*.txt"))):
        shutil.copy(seed, src / "sub" / f"seed{i}.txt")
    (src / ODD_NAMES["newline"]).write_bytes(b" \n")
    (src / ODD_NAMES["terminal"]).write_bytes(random.Random(1).randbytes(4096))
    (src / ODD_NAMES["markup"]).write_text(H.REPORT + "（网页版）", encoding="utf-8")
    (src / ODD_NAMES["bidi"]).write_text(H.REPORT + "另一份。" + H.PARA1, encoding="utf-8")
    out = tmp_path / "store"
    before = _tree(tmp_path)

    run = H.run_bounded(BUILD_BATCH, timeout=600, max_mb=4096, args=[str(src), str(out)])
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    print(f"batch of {result['n_files']} hostile files: {run.seconds:.1f} s, peak {run.peak_rss_mb:.0f} MB")

    # Nothing was written outside the store (its folder of builds, its link and its lock).
    created = _tree(tmp_path) - before
    assert {p.split("/")[0] for p in created} <= {"store", "store.builds", "store.lock"}, created

    # Files are taken in name order; a file with the same bytes as one met before is
    # reported as a duplicate (empty.txt, zero.docx and zero.pdf are all 0 bytes).
    first_with: dict[bytes, str] = {}
    duplicates = {}
    for path in sorted(p for p in src.rglob("*") if p.is_file()):
        key = f"in/{path.relative_to(src).as_posix()}"
        duplicates[key] = first_with.setdefault(path.read_bytes(), key)
    duplicates = {k: v for k, v in duplicates.items() if k != v}

    skipped = dict(result["skipped"])
    for case in CASES:
        key = f"in/{case.name}"
        if key in duplicates:
            assert f"same content as {duplicates[key]}" in skipped[key]
        elif case.problem:
            assert skipped[key].startswith(f"{case.name}: {case.problem}"), skipped[key]
    assert skipped["in/bomb.docx"] == "bomb.docx: DOCX expands to more than 200 MB (zip bomb?)"
    assert skipped["in/liar.docx"] == "liar.docx: DOCX part word/document.xml inflates past its declared size (zip bomb?)"
    assert skipped["in/one-character.txt"].startswith("one-character.txt: no report text found")
    assert skipped[f"in/{ODD_NAMES['newline']}"] == f"{display_name(ODD_NAMES['newline'])}: empty file"
    assert skipped[f"in/{ODD_NAMES['terminal']}"] == f"{display_name(ODD_NAMES['terminal'])}: binary or undecodable content"

    # A readable file in French is read (its check above) but is not a Chinese report.
    assert skipped["in/latin1.txt"].startswith("latin1.txt: not Chinese text (about 0% of its characters are Chinese)")

    # Every other readable file became reports; names are kept verbatim, as data.
    built = {r["source_file"] for r in result["reports"]}
    readable = {f"in/{c.name}" for c in CASES if c.problem is None and c.name not in ("one-character.txt", "latin1.txt")}
    readable -= set(duplicates)
    seeds = {f"in/sub/seed{i}.txt" for i in range(5)}
    odd = {f"in/{ODD_NAMES['markup']}", f"in/{ODD_NAMES['bidi']}"}
    assert "in/forms.pdf" in skipped  # "Hi Hi": read, but no report text in it
    assert built == readable | seeds | odd
    status = {f["source_file"]: f["status"] for f in result["files"]}
    assert len(status) == result["n_files"] == len(CASES) + 3 + 5 + 4
    assert all(status[name] == "ok" for name in built)
    assert all(status[name] == ("duplicate" if name in duplicates else "skipped") for name in skipped)


def test_every_skipped_file_takes_exactly_one_line_of_the_summary(tmp_path):
    from analysis.build import build

    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(H.REPORT * 3, encoding="utf-8")
    (src / "b\nfake: 0 skipped.txt").write_text(H.REPORT * 3, encoding="utf-8")  # a duplicate of a.txt
    (src / "c\x1b[2J.txt").write_text("字", encoding="utf-8")  # read, but holds no report
    result = build([src, tmp_path / "gone\n.txt"], tmp_path / "store", workers=1, progress=False)
    lines = result.summary().split("\n")
    assert len(lines) == 1 + len(result.skipped) == 4, lines
    assert all(line.isprintable() for line in lines), lines


# --- size -------------------------------------------------------------------------------------------------

BUILD_CLI = """
import runpy
sys.argv = ["analysis", *sys.argv[1:]]
runpy.run_module("analysis", run_name="__main__")
"""


@pytest.mark.slow
def test_a_20_mb_report_builds_under_max_mb_50_in_bounded_time_and_memory(tmp_path):
    big = tmp_path / "big.txt"
    big.write_bytes(H.big_report(20))
    run = H.run_bounded(BUILD_CLI, timeout=900, max_mb=6144,
                        args=["build", str(big), "--out", str(tmp_path / "store"), "--max-mb", "50", "--workers", "1", "--no-progress"])
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.startswith("1 files, ") and " 0 skipped" in run.stdout
    print(f"20 MB report: built in {run.seconds:.1f} s, peak {run.peak_rss_mb:.0f} MB")

    refused = H.run_bounded(BUILD_CLI, timeout=300, max_mb=4096,
                            args=["build", str(big), "--out", str(tmp_path / "s2"), "--max-mb", "10", "--no-progress"])
    assert refused.returncode == 1
    assert "big.txt: file is 20 MB, over the 10 MB limit" in refused.stdout
    assert not (tmp_path / "s2").exists()


@pytest.mark.slow
def test_a_runaway_paragraph_is_cut_and_builds_in_bounded_time_and_memory(tmp_path):
    # 4 MB of PDF-like lines with no sentence end at all: before the cleaner bounded
    # paragraphs, per-sentence work made this quadratic (1 MB took 97 s in targets alone).
    path = tmp_path / "runaway.txt"
    path.write_bytes(H.runaway_paragraph(4))
    run = H.run_bounded(BUILD_CLI, timeout=300, max_mb=4096,
                        args=["build", str(path), "--out", str(tmp_path / "store"), "--workers", "1", "--no-progress"])
    assert run.returncode == 0, run.stderr[-3000:]
    from analysis.clean import MAX_PARAGRAPH
    from analysis.store import open_snapshot

    paragraphs = open_snapshot(tmp_path / "store").read("paragraphs", ["text"]).column("text").to_pylist()
    assert len(paragraphs) > 200 and max(map(len, paragraphs)) <= MAX_PARAGRAPH
    print(f"4 MB runaway paragraph: built in {run.seconds:.1f} s, peak {run.peak_rss_mb:.0f} MB")


TARGETS_CHAIN = """
from analysis.targets import extract_quantities
rows = extract_quantities("力争新增企业5家，确保完成投资3亿元；" * 12000)
print(len(rows))
"""


@pytest.mark.slow
def test_a_long_semicolon_chain_of_targets_is_extracted_in_bounded_time():
    run = H.run_bounded(TARGETS_CHAIN, timeout=25, max_mb=2048)
    assert run.returncode == 0, run.stderr[-2000:]
    assert int(run.stdout) == 24000
