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
import zipfile
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DEFAULT_MAX_BYTES",
    "SUPPORTED_SUFFIXES",
    "Document",
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
# Share of control / replacement / private-use characters above which decoded text is
# taken to be binary junk rather than a report.
_JUNK_RATIO = 0.05
# trafilatura's time grows faster than linearly (~3 s for 2M characters, ~40 s for 6M);
# past this the plain lxml extraction is used. Real report pages are well under 1M.
_TRAFILATURA_MAX_CHARS = 2_000_000
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "cp936", "hz", "euc_cn", "euccn", "ms936"}


# pypdf logs every repaired defect as a warning; with no handler configured Python would
# print them to stderr. A NullHandler silences that but still lets an app's handlers see them.
logging.getLogger("pypdf").addHandler(logging.NullHandler())


class IngestError(Exception):
    """A file that cannot be read. str(err) == f"{path.name}: {problem}"."""

    def __init__(self, path: Path, problem: str):
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path.name}: {problem}")

    def __reduce__(self):
        # Default pickling would call IngestError(message) and fail; workers in a
        # process pool need to send these back to the parent.
        return (type(self), (self.path, self.problem))


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
    if not data.strip():
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
    return Document(text=text, format=fmt, encoding=encoding)


# ---------------------------------------------------------------------------------
# Text cleaning shared by all formats

# C0 controls except \t and \n (\r is handled before), DEL and C1 controls.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")
# What betrays binary junk after decoding: controls, U+FFFD, surrogates, private use.
_JUNK_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd\ud800-\udfff\ue000-\uf8ff]")


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Page breaks, vertical tabs and Unicode line/paragraph separators end a line too.
    text = text.translate({0x0B: "\n", 0x0C: "\n", 0x85: "\n", 0x2028: "\n", 0x2029: "\n"})
    text = _CONTROL_RE.sub("", text)
    return _SURROGATE_RE.sub("", text)


_LEADING_BLANK_LINES_RE = re.compile(r"\A(?:[ \t\u3000]*\n)+")


def _finish(path: Path, text: str, empty_problem: str) -> str:
    # Leading blank lines and trailing whitespace carry nothing; the first line's own
    # indentation (often U+3000 in Chinese documents) is kept.
    text = _LEADING_BLANK_LINES_RE.sub("", _clean(text).lstrip("\ufeff")).rstrip()
    if not text.strip():
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
        # NULs never occur in 8-bit or UTF-8 text; only BOM-less UTF-16 is plausible.
        result = _decode_bomless_utf16(data)
        if result is None:
            raise IngestError(path, "binary or undecodable content")
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
            # errors="replace": a BOM is a strong claim; damage shows up in the junk check.
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


def _decode_guess(data: bytes) -> tuple[str, str] | None:
    # Strict UTF-8 first: fast, and charset-normalizer can mis-guess short Chinese UTF-8.
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
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
    lines = list(_docx_lines(document))
    return _finish(path, "\n".join(lines), "DOCX has no text"), ""


def _check_docx_archive(path: Path, data: bytes, max_bytes: int) -> None:
    """Refuse zip bombs and non-DOCX archives before python-docx inflates anything.

    Declared sizes are trustworthy enough: zipfile stops reading a member at its
    declared file_size (and then fails the CRC), so a lying header cannot inflate more.
    """
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
    texts, failures = [], 0
    for page in pages:
        try:
            texts.append(page.extract_text() or "")
        except (MemoryError, RecursionError):
            raise
        except Exception:
            # One odd page should not cost the user the whole report; only a PDF where
            # every page fails is reported as broken.
            failures += 1
    text = "\n".join(t for t in texts if t.strip())
    if not text.strip():
        if failures:
            raise IngestError(path, "broken PDF (no page could be read)")
        raise IngestError(path, "PDF has no text layer (scanned?)")
    return _finish(path, text, "PDF has no text layer (scanned?)"), ""


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
            raise IngestError(path, "encrypted PDF (AES needs the 'cryptography' package)") from None
        except Exception:
            ok = 0
        if not ok:
            raise IngestError(path, "encrypted PDF (password required)")
    return reader


# ---------------------------------------------------------------------------------
# HTML

_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>")
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
