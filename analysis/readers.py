"""Turn one input file (.txt/.md, .docx, .pdf, .html) into Unicode text, or a clear error.

Every failure the user can cause is an IngestError whose message is
"<file name>: <problem in plain English>", never a traceback. Hostile input (zip bombs,
binary junk, script-laden HTML, huge or encrypted PDFs) is refused or neutralised
before it can cost much time or memory.
"""

from __future__ import annotations

import codecs
import io
import logging
import re
import stat
import time
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from analysis.resources import union_of_classes

__all__ = [
    "DEFAULT_MAX_BYTES",
    "SUPPORTED_SUFFIXES",
    "Document",
    "display_name",
    "IngestError",
    "read_bytes",
    "read_document",
]

SUPPORTED_SUFFIXES = {".txt", ".md", ".text", ".docx", ".pdf", ".html", ".htm"}
DEFAULT_MAX_BYTES = 50 * 1024 * 1024

_MB = 1024 * 1024
_FORMATS = {
    ".txt": "txt", ".md": "txt", ".text": "txt",
    ".docx": "docx", ".pdf": "pdf", ".html": "html", ".htm": "html",
}
# DOCX: uncompressed total may be at most min(20 x max_bytes, 200 MB); real Word files
# compress text ~5-10x, so anything far beyond that is a zip bomb, not a report.
_DOCX_EXPANSION = 20
_DOCX_MAX_UNCOMPRESSED = 200 * _MB
_DOCX_MAX_RATIO = 500  # per member, only judged on members over 1 MB; Word XML is ~10-50:1
_DOCX_MAX_MEMBERS = 5000
# pypdf is pure Python and can be slow on hostile files; no real report has 2000 pages.
_PDF_MAX_PAGES = 2000
# A text page takes a few hundred to a few thousand operations; 2000 such pages fit.
# Past this (or this much time) a PDF is refused as a bomb; pypdf runs ~250,000 a second.
_PDF_MAX_OPERATIONS = 5_000_000
_PDF_MAX_SECONDS = 120.0
# Share of control / replacement / private-use characters above which decoded text is
# taken to be binary junk rather than a report.
_JUNK_RATIO = 0.05
# A text file may carry a few stray NUL bytes (bad exports); more than this, or one in a
# thousand bytes, and it is binary.
_STRAY_NULS = 8
# trafilatura's time grows faster than linearly (~3 s for 2M characters, ~40 s for 6M);
# past this the plain lxml extraction is used. Real report pages are well under 1M.
_TRAFILATURA_MAX_CHARS = 2_000_000
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "cp936", "hz", "euc_cn", "euccn", "ms936"}


# pypdf logs every repaired defect as a warning; with no handler configured Python would
# print them to stderr. A NullHandler silences that but still lets an app's handlers see them.
logging.getLogger("pypdf").addHandler(logging.NullHandler())


class IngestError(Exception):
    """A file that cannot be read. str(err) == f"{display_name(path.name)}: {problem}"."""

    def __init__(self, path: Path, problem: str):
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{display_name(self.path.name)}: {problem}")

    def __reduce__(self):
        # Default pickling would call IngestError(message) and fail; workers in a
        # process pool need to send these back to the parent.
        return (type(self), (self.path, self.problem))


# Characters a file name may hold that would change how a message is laid out or read when
# printed: controls (newline, ESC sequences), Unicode line breaks, bidi overrides
# ("report\u202etxt.exe" shows as "reportexe.txt") and invisible characters.
_UNSAFE_IN_NAME_RE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060\u2066-\u2069\ufeff\ud800-\udfff]"
)


def display_name(name: str) -> str:
    """A file name as it may be shown in a one-line message: unsafe characters escaped.

    "a\nb.txt" -> "a\\nb.txt". The name itself is kept as is wherever it is data.
    """
    return _UNSAFE_IN_NAME_RE.sub(_escape_char, str(name))


def _escape_char(m: re.Match) -> str:
    return m.group().encode("unicode_escape", "backslashreplace").decode("ascii")


@dataclass(frozen=True)
class Document:
    text: str  # decoded text; paragraphs separated by "\n"
    format: str  # "txt" | "docx" | "pdf" | "html"
    encoding: str  # detected encoding for text/html files, "" otherwise


# ---------------------------------------------------------------------------------
# Entry points


def read_document(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Read a file from disk. The size limit is checked on stat, before reading."""
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise IngestError(path, "no such file") from None
    except PermissionError:
        raise IngestError(path, "permission denied") from None
    except OSError as e:
        raise IngestError(path, f"cannot open file ({e.strerror or type(e).__name__})") from None
    if stat.S_ISDIR(st.st_mode):
        raise IngestError(path, "is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise IngestError(path, "not a regular file")
    _format_for(path)  # refuse unknown types before reading anything
    _check_size(path, st.st_size, max_bytes)
    try:
        with path.open("rb") as fh:
            # Read one byte past the limit: the file may have grown since stat().
            data = fh.read(max_bytes + 1)
    except PermissionError:
        raise IngestError(path, "permission denied") from None
    except OSError as e:
        raise IngestError(path, f"cannot read file ({e.strerror or type(e).__name__})") from None
    return _parse(path, data, max_bytes)


def read_bytes(data: bytes, name: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Same as read_document, for uploaded bytes. `name` only picks the format."""
    return _parse(_safe_name(name), bytes(data), max_bytes)


def _safe_name(name: str) -> Path:
    # Uploaded names may carry directories (either slash); keep only the last part so
    # it can never be mistaken for a real path and error messages stay short.
    base = str(name).replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    return Path(base if base not in ("", ".", "..") else "upload")


def _format_for(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        shown = suffix or "(no suffix)"
        raise IngestError(path, f"unsupported file type {shown} (use .txt, .docx, .pdf or .html)")
    return _FORMATS[suffix]


def _check_size(path: Path, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise IngestError(path, f"file is {_fmt_size(size)}, over the {_fmt_size(max_bytes)} limit")


def _fmt_size(n: int) -> str:
    if n >= _MB:
        return f"{n / _MB:.1f}".removesuffix(".0") + " MB"
    if n >= 1024:
        return f"{n / 1024:.1f}".removesuffix(".0") + " KB"
    return f"{n} bytes"


def _parse(path: Path, data: bytes, max_bytes: int) -> Document:
    fmt = _format_for(path)
    _check_size(path, len(data), max_bytes)
    if not data or data.isspace():  # == not data.strip(), without copying the data
        raise IngestError(path, "empty file")
    parser = {"txt": _parse_txt, "docx": _parse_docx, "pdf": _parse_pdf, "html": _parse_html}[fmt]
    try:
        text, encoding = parser(path, data, max_bytes)
    except (IngestError, MemoryError):
        raise
    except RecursionError:
        # Deeply nested hostile input (HTML, PDF objects); not the user's fault to debug.
        raise IngestError(path, f"{fmt.upper()} is too deeply nested to read") from None
    except Exception as e:  # noqa: BLE001 - any parser bug must reach the user as one line
        raise IngestError(path, f"could not read {fmt.upper()} ({type(e).__name__})") from None
    if len(text) > max_bytes:  # the size limit holds for what is unpacked, too
        raise IngestError(path, _too_much_text(fmt.upper(), max_bytes))
    return Document(text=text, format=fmt, encoding=encoding)


def _too_much_text(fmt: str, max_bytes: int) -> str:
    return f"{fmt} unpacks to more than {_fmt_size(max_bytes)} of text, over the size limit"


# ---------------------------------------------------------------------------------
# Text cleaning shared by all formats

# C0 controls except \t and \n (\r is handled before), DEL and C1 controls.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")
# What betrays binary junk after decoding: controls, U+FFFD, surrogates, private use.
_JUNK_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd\ud800-\udfff\ue000-\uf8ff]")


# Page breaks, vertical tabs and Unicode line/paragraph separators end a line too.
_LINE_END_RE = re.compile("[\x0b\x0c\x85\u2028\u2029]")
# Every character _clean changes (\r, the line ends above, controls, surrogates): most
# texts hold none, and one search for them is cheaper than the five passes.
_TO_CLEAN_RE = union_of_classes(_LINE_END_RE, _CONTROL_RE, _SURROGATE_RE)


def _clean(text: str) -> str:
    if not _TO_CLEAN_RE.search(text):
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # A regex substitution, not str.translate: translate looks every character up in a
    # dict (~80 ns each), the regex skips over text holding none of them.
    text = _LINE_END_RE.sub("\n", text)
    text = _CONTROL_RE.sub("", text)
    return _SURROGATE_RE.sub("", text)


_LEADING_BLANK_LINES_RE = re.compile(r"\A(?:[ \t\u3000]*\n)+")


def _finish(path: Path, text: str, empty_problem: str) -> str:
    # Leading blank lines and trailing whitespace carry nothing; the first line's own
    # indentation (often U+3000 in Chinese documents) is kept.
    text = _LEADING_BLANK_LINES_RE.sub("", _clean(text).lstrip("\ufeff")).rstrip()
    if not text or text.isspace():  # == not text.strip(), without copying the text
        raise IngestError(path, empty_problem)
    return text


# ---------------------------------------------------------------------------------
# Plain text


def _parse_txt(path: Path, data: bytes, max_bytes: int) -> tuple[str, str]:
    text, encoding = _decode(path, data)
    return _finish(path, text, "empty file"), encoding


def _decode(path: Path, data: bytes) -> tuple[str, str]:
    """Bytes of a text file to str, or 'binary or undecodable content'."""
    result = _decode_bom(data)
    if result is None and b"\x00" in data:
        # NULs never occur in 8-bit or UTF-8 text; only BOM-less UTF-16 is plausible, or a
        # text file with a few stray NULs (dropped later, like other control characters).
        stray = data.count(0) <= max(_STRAY_NULS, len(data) // 1000)
        if not (stray and _is_utf8(data)):
            result = _decode_bomless_utf16(data)
            if result is None and not stray:
                raise IngestError(path, "binary or undecodable content")
            if result is None:
                data = data.replace(b"\x00", b"")  # would be dropped anyway; let detection see text
    if result is None:
        result = _decode_guess(data)
    if result is None or _looks_like_junk(result[0]):
        raise IngestError(path, "binary or undecodable content")
    return result


def _decode_bom(data: bytes) -> tuple[str, str] | None:
    # UTF-32 first: its LE BOM begins with the UTF-16 LE BOM.
    boms = (
        (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32"),
        (codecs.BOM_UTF8, "utf-8", "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16"),
    )
    for bom, codec, label in boms:
        if data.startswith(bom):
            # A BOM is a strong claim; damage shows up in the junk check. Lone surrogates
            # (cut UTF-16) pass through and are dropped by _clean like control characters.
            errors = "surrogatepass" if codec.startswith("utf-16") else "replace"
            try:
                return data[len(bom):].decode(codec, errors=errors), label
            except UnicodeDecodeError:  # an odd trailing byte
                return data[len(bom):].decode(codec, errors="replace"), label
    return None


def _decode_bomless_utf16(data: bytes) -> tuple[str, str] | None:
    if len(data) % 2:
        return None
    even, odd = data[0::2].count(0), data[1::2].count(0)
    # ASCII in UTF-16 puts its NUL byte always on the same side; random binary
    # spreads NULs evenly over both.
    if min(even, odd) * 10 >= max(even, odd):
        return None
    codec = "utf-16-le" if odd > even else "utf-16-be"
    try:
        return data.decode(codec), codec
    except UnicodeDecodeError:
        return None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _decode_guess(data: bytes) -> tuple[str, str] | None:
    # Strict UTF-8 first: fast, and charset-normalizer can mis-guess short Chinese UTF-8.
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        if e.end == len(data) and "unexpected end" in e.reason:
            # A file cut off inside its last character (an interrupted copy or download).
            return data[: e.start].decode("utf-8"), "utf-8"
    try:
        # UTF-8 with encoded surrogates (CESU-8 / WTF-8 from Java or JavaScript exports):
        # pairs become the character they encode, lone halves are dropped by _clean.
        text = data.decode("utf-8", errors="surrogatepass")
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass"), "utf-8"
    except UnicodeDecodeError:
        pass
    if (mixed := _decode_mixed_utf8_gb(data)) is not None:
        return mixed
    encoding = _guess_encoding(data)
    if encoding is None:
        return None
    if encoding in _GB_FAMILY:
        # GB18030 is a superset of GBK and GB2312: decode every GB guess with it.
        encoding = "gb18030"
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError:
        return data.decode(encoding, errors="replace"), encoding
    except LookupError:
        return None


_LINE_RE = re.compile(rb"[^\n]*\n?")
_ASCII_RE = re.compile(rb"[\x00-\x7f]")
_MIXED_LINE_MAX = 16 * 1024  # longer lines are not searched for encoding switches


def _decode_mixed_utf8_gb(data: bytes) -> tuple[str, str] | None:
    """A UTF-8 file with GBK/GB18030 passages (files pasted or concatenated together).

    Applies only when the file holds real UTF-8 text (at least two characters beyond
    U+07FF in valid UTF-8 lines) and every other passage is valid GB18030; anything else
    is left to the encoding detector. Decided line by line, and inside a line where the
    encoding switches. Linear in the size of the file.
    """
    parts: list[str] = []
    utf8_wide = [0]  # characters beyond U+07FF read as UTF-8: real UTF-8 text is there
    gb_used = False
    for m in _LINE_RE.finditer(data):
        line = m.group()
        if not line:
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            text = _decode_mixed_line(line, utf8_wide)
            if text is None:
                return None
            gb_used = True
        else:
            _count_wide(text, utf8_wide)
        parts.append(text)
    if not gb_used or utf8_wide[0] < 2:
        return None
    return "".join(parts), "utf-8+gb18030"


def _count_wide(text: str, counter: list[int]) -> None:
    if counter[0] < 2:
        counter[0] += sum(1 for c in text if c > "\u07ff")


def _decode_mixed_line(line: bytes, utf8_wide: list[int]) -> str | None:
    """One line that is not valid UTF-8: its GB18030 passages decoded as such, or None."""
    if len(line) > _MIXED_LINE_MAX:
        try:
            return line.decode("gb18030")
        except UnicodeDecodeError:
            return None
    out: list[str] = []
    pos, n = 0, len(line)
    while pos < n:
        try:
            out.append(line[pos:].decode("utf-8"))
            _count_wide(out[-1], utf8_wide)
            break
        except UnicodeDecodeError as e:
            good = line[pos : pos + e.start].decode("utf-8")
        # A GBK pair can look like a 2-byte UTF-8 character (U+0080..U+07FF, never in a
        # Chinese report next to GBK text): give those back to the GB passage.
        keep = len(good)
        while keep and "\x80" <= good[keep - 1] <= "\u07ff":
            keep -= 1
        out.append(good[:keep])
        _count_wide(out[-1], utf8_wide)
        start = pos + len(good[:keep].encode("utf-8"))
        ascii_at = _ASCII_RE.search(line, start)
        run_end = ascii_at.start() if ascii_at else n  # the GB passage ends by here
        end = start
        while end < run_end and not (end > start and _utf8_resumes(line, end, run_end)):
            end += _gb18030_len(line, end)
        end = min(end, run_end)
        try:
            out.append(line[start:end].decode("gb18030"))
        except UnicodeDecodeError:
            return None
        pos = end
    return "".join(out)


def _utf8_resumes(line: bytes, i: int, run_end: int) -> bool:
    """Does UTF-8 take over again at i? Yes if two CJK-range UTF-8 characters start
    there, or if the rest of the non-ASCII run is a few such characters (by chance a GBK
    passage does either about once in thousands)."""
    for piece in (line[i:run_end] if run_end - i <= 12 else b"", line[i : i + 6]):
        try:
            text = piece.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if text and all(c >= "\u0800" for c in text) and (len(text) >= 2 or len(piece) == run_end - i):
            return True
    return False


def _gb18030_len(line: bytes, i: int) -> int:
    """Length of the GB18030 character starting at i (1 for a byte that starts none)."""
    if not 0x81 <= line[i] <= 0xFE or i + 1 >= len(line):
        return 1
    return 4 if 0x30 <= line[i + 1] <= 0x39 else 2


def _guess_encoding(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        return None
    best = matches[0]
    # Short Chinese text is ambiguous between GBK, Big5, CP949...; these are mainland
    # government reports, so a GB reading that scores as well as the best one wins.
    for m in matches:
        if m.encoding.lower() in _GB_FAMILY and m.chaos <= best.chaos:
            return "gb18030"
    return best.encoding.lower()


def _looks_like_junk(text: str) -> bool:
    if not text:
        return False
    return len(_JUNK_RE.findall(text)) > _JUNK_RATIO * len(text)


# ---------------------------------------------------------------------------------
# DOCX


def _parse_docx(path: Path, data: bytes, max_bytes: int) -> tuple[str, str]:
    _check_docx_archive(path, data, max_bytes)
    import docx
    from lxml import etree

    try:
        document = docx.Document(io.BytesIO(data))
    except (etree.XMLSyntaxError, KeyError, ValueError, zipfile.BadZipFile) as e:
        raise IngestError(path, f"broken DOCX ({_short(e)})") from None
    except Exception as e:  # python-docx raises its own types, e.g. PackageNotFoundError
        raise IngestError(path, f"broken DOCX ({type(e).__name__})") from None
    lines, n_chars = [], 0
    for line in _docx_lines(document):
        n_chars += len(line) + 1
        if n_chars > max_bytes:  # stop early: a small DOCX can unpack to far more text
            raise IngestError(path, _too_much_text("DOCX", max_bytes))
        lines.append(line)
    return _finish(path, "\n".join(lines), "DOCX has no text"), ""


def _check_docx_archive(path: Path, data: bytes, max_bytes: int) -> None:
    """Refuse zip bombs and non-DOCX archives before python-docx inflates anything.

    Declared sizes are checked first (total, ratio, number of parts). They cannot be
    trusted alone: zipfile returns no more than a part's declared size, but to get there
    it inflates up to 2 GB in one call, so a header that under-states the size of a
    bomb would cost gigabytes of memory. Every part is therefore inflated once here, in
    small steps, and refused as soon as it runs past its declared size.
    """
    if _eocd_entries(data) > _DOCX_MAX_MEMBERS:  # before zipfile builds an object per part
        raise IngestError(path, f"broken DOCX (more than {_DOCX_MAX_MEMBERS} parts)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile:
        raise IngestError(path, "broken DOCX (not a zip archive)") from None
    if len(infos) > _DOCX_MAX_MEMBERS:
        raise IngestError(path, f"broken DOCX (more than {_DOCX_MAX_MEMBERS} parts)")
    if not any(i.filename == "word/document.xml" for i in infos):
        raise IngestError(path, "broken DOCX (no word/document.xml)")
    limit = min(_DOCX_EXPANSION * max_bytes, _DOCX_MAX_UNCOMPRESSED)
    if sum(i.file_size for i in infos) > limit:
        raise IngestError(path, f"DOCX expands to more than {_fmt_size(limit)} (zip bomb?)")
    for i in infos:
        ratio = i.file_size // max(i.compress_size, 1)
        if i.file_size > _MB and ratio > _DOCX_MAX_RATIO:
            raise IngestError(path, f"DOCX part {i.filename} is compressed {ratio}:1 (zip bomb?)")
    for i in infos:
        if i.compress_type == zipfile.ZIP_STORED:
            continue
        if i.compress_type != zipfile.ZIP_DEFLATED:
            # Word only deflates; zipfile inflates bzip2/LZMA parts with no size bound.
            raise IngestError(path, f"broken DOCX (part {i.filename} uses an unsupported compression)")
        if _inflates_past(data, i):
            raise IngestError(path, f"DOCX part {i.filename} inflates past its declared size (zip bomb?)")


def _eocd_entries(data: bytes) -> int:
    """Number of parts the zip's end record declares (0 if there is none to read)."""
    at = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if at < 0 or at + 22 > len(data):
        return 0
    return int.from_bytes(data[at + 10 : at + 12], "little")


def _inflates_past(data: bytes, info: zipfile.ZipInfo) -> bool:
    """Does the deflated part inflate to more than its declared size? (bounded work)"""
    off = info.header_offset
    if data[off : off + 4] != b"PK\x03\x04":
        return False  # zipfile refuses it with a clear error later
    start = off + 30 + int.from_bytes(data[off + 26 : off + 28], "little") + int.from_bytes(data[off + 28 : off + 30], "little")
    raw = memoryview(data)[start : start + info.compress_size]
    inflater = zlib.decompressobj(-15)
    left = info.file_size
    try:
        for pos in range(0, len(raw), 1 << 16):
            buf = raw[pos : pos + (1 << 16)]
            while buf:
                out = inflater.decompress(buf, min(left + 1, 1 << 20))
                left -= len(out)
                if left < 0:
                    return True
                buf = inflater.unconsumed_tail
                if not out:
                    break
            if inflater.eof:
                break
    except zlib.error:
        return False  # corrupt data: python-docx reports the DOCX as broken
    return False


def _docx_lines(container):
    """Paragraph texts in document order; table cells are read paragraph by paragraph."""
    from docx.table import Table

    for block in container.iter_inner_content():
        if isinstance(block, Table):
            yield from _docx_table_lines(block)
        else:
            yield block.text


def _docx_table_lines(table):
    seen = set()  # holds the elements themselves: id() of a freed proxy gets reused
    for row in table.rows:
        for cell in row.cells:
            # A merged cell is returned once per grid column it spans; read it once.
            if cell._tc in seen:
                continue
            seen.add(cell._tc)
            yield from _docx_lines(cell)


# ---------------------------------------------------------------------------------
# PDF


def _parse_pdf(path: Path, data: bytes, max_bytes: int) -> tuple[str, str]:
    reader = _open_pdf(path, data)
    try:
        pages = reader.pages
        n_pages = len(pages)
    except Exception as e:
        raise IngestError(path, f"broken PDF ({_short(e)})") from None
    if n_pages > _PDF_MAX_PAGES:
        raise IngestError(path, f"PDF has {n_pages} pages, over the {_PDF_MAX_PAGES}-page limit")
    texts, failures, n_chars = [], 0, 0
    budget = _PdfBudget(path)
    for page in pages:
        budget.check_time()
        try:
            texts.append(page.extract_text(visitor_operand_before=budget.visit) or "")
        except (MemoryError, RecursionError, IngestError):
            raise
        except Exception:
            # One odd page should not cost the user the whole report; only a PDF where
            # every page fails is reported as broken.
            failures += 1
            continue
        n_chars += len(texts[-1])
        if n_chars > max_bytes:
            raise IngestError(path, _too_much_text("PDF", max_bytes))
    text = "\n".join(t for t in texts if t.strip())
    if not text.strip():
        if failures:
            raise IngestError(path, "broken PDF (no page could be read)")
        raise IngestError(path, "PDF has no text layer (scanned?)")
    return _finish(path, text, "PDF has no text layer (scanned?)"), ""


class _PdfBudget:
    """Bounds the work of extracting a PDF's text, whatever the file looks like.

    pypdf caps each stream, but not the document: a 1 KB PDF whose pages draw one form
    thousands of times, or share one content stream that inflates to 70 MB, keeps it busy
    for hours. Every drawing operation (inside forms too) is counted, and the clock is
    checked between pages and every 10,000 operations.
    """

    def __init__(self, path: Path):
        self.path = path
        self.ops = 0
        self.deadline = time.monotonic() + _PDF_MAX_SECONDS

    def visit(self, operator, operands, cm, tm) -> None:
        self.ops += 1
        if self.ops > _PDF_MAX_OPERATIONS:
            raise IngestError(self.path, f"PDF needs over {_PDF_MAX_OPERATIONS:,} drawing operations (PDF bomb?)")
        if not self.ops % 10_000:
            self.check_time()

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise IngestError(self.path, f"PDF took over {_PDF_MAX_SECONDS:g} s to read (PDF bomb?)")


_AES_PROBLEM = "encrypted PDF (AES needs the 'cryptography' package)"


def _open_pdf(path: Path, data: bytes):
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PdfReadError

    if b"%PDF-" not in data[:1024]:
        raise IngestError(path, "broken PDF (no PDF header)")
    # A PDF must end with %%EOF; a cut-off download otherwise yields silently partial text.
    if b"%%EOF" not in data[-32768:]:  # some writers pad after it; pypdf tolerates that
        raise IngestError(path, "broken PDF (truncated: no end-of-file marker)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
    except DependencyError:  # pypdf tries the empty password while opening an AES PDF
        raise IngestError(path, _AES_PROBLEM) from None
    except PdfReadError as e:
        raise IngestError(path, f"broken PDF ({_short(e)})") from None
    except (MemoryError, RecursionError):
        raise
    except Exception as e:
        raise IngestError(path, f"broken PDF ({type(e).__name__})") from None
    if reader.is_encrypted:
        # Many PDFs are "encrypted" only to set permissions, with an empty user password.
        try:
            ok = reader.decrypt("")
        except DependencyError:
            raise IngestError(path, _AES_PROBLEM) from None
        except Exception:
            ok = 0
        if not ok:
            raise IngestError(path, "encrypted PDF (password required)")
    return reader


# ---------------------------------------------------------------------------------
# HTML

_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>")
_EMBED_TAG_RE = re.compile(r"</?embed\b[^>]*>", re.I)
# Never text: code, embedded objects, page chrome and form widgets.
_HTML_DROP = (
    "script", "style", "noscript", "iframe", "frame", "frameset", "object", "embed",
    "applet", "template", "svg", "math", "canvas", "nav", "header", "footer", "aside",
    "form", "button", "select", "textarea", "input", "head",
)
_HTML_BLOCKS = {
    "p", "div", "section", "article", "main", "li", "ul", "ol", "dl", "dt", "dd",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "tr", "td", "th", "caption",
    "blockquote", "pre", "br", "hr", "figure", "figcaption", "address", "center", "body",
}


def _parse_html(path: Path, data: bytes, max_bytes: int) -> tuple[str, str]:
    html, encoding = _decode_html(path, data)
    html = _XML_DECL_RE.sub("", html)  # lxml refuses str input with an encoding declaration
    # <embed> is a void element, but libxml2 nests everything after it inside it, so
    # dropping the embed would drop the article that follows: remove the tag alone.
    html = _EMBED_TAG_RE.sub("", html)
    text = _html_trafilatura(html) if len(html) <= _TRAFILATURA_MAX_CHARS else None
    text = text or _html_fallback(html)
    return _finish(path, text, "HTML has no readable text"), encoding


def _decode_html(path: Path, data: bytes) -> tuple[str, str]:
    if _decode_bom(data) is None:
        declared = _declared_charset(data)
        if declared:
            try:
                return data.decode(declared), declared
            except UnicodeDecodeError:
                pass  # mislabelled pages are common (GBK served as utf-8): detect instead
    return _decode(path, data)


def _declared_charset(data: bytes) -> str | None:
    m = _META_CHARSET_RE.search(data[:8192])
    if not m:
        return None
    try:
        name = codecs.lookup(m.group(1).decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return None
    # Pages labelled gb2312 routinely contain GBK/GB18030 characters.
    return "gb18030" if name in _GB_FAMILY else name


def _html_trafilatura(html: str) -> str | None:
    import trafilatura

    try:
        return trafilatura.extract(
            html,
            output_format="txt",
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
            favor_recall=True,
            deduplicate=False,  # reports repeat set phrases on purpose
            with_metadata=False,
        )
    except (MemoryError, RecursionError):
        raise
    except Exception:
        return None  # the lxml fallback below still gets a chance


def _html_fallback(html: str) -> str:
    """Body text line by line, with scripts, styles and page chrome removed."""
    import lxml.html
    from lxml import etree

    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
    try:
        root = lxml.html.document_fromstring(html, parser=parser)
    except (etree.ParserError, ValueError):
        return ""
    etree.strip_elements(root, *_HTML_DROP, with_tail=False)
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.lower() in _HTML_BLOCKS:
            # Newlines around blocks keep paragraphs apart in text_content().
            el.text = "\n" + (el.text or "")
            el.tail = "\n" + (el.tail or "")
    lines = (line.strip() for line in root.text_content().split("\n"))
    return "\n".join(line for line in lines if line)


def _short(e: Exception) -> str:
    msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return msg[:80]
