"""Tests for analysis.readers: every file is made here, in tmp_path, and real decoded
content is compared, Chinese strings included."""

from __future__ import annotations

import io
import os
import pickle
import re
import zipfile
from pathlib import Path

import pytest

from analysis.readers import (
    DEFAULT_MAX_BYTES,
    SUPPORTED_SUFFIXES,
    Document,
    IngestError,
    read_bytes,
    read_document,
)

REPO = Path(__file__).resolve().parents[2]
PARA1 = "各位代表：现在，我代表国务院，向大会报告政府工作，请予审议。"
PARA2 = "今年发展主要预期目标是：国内生产总值增长5%左右；城镇新增就业1200万人以上。"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def ingest_error(path: Path, **kw) -> IngestError:
    with pytest.raises(IngestError) as info:
        read_document(path, **kw)
    err = info.value
    assert str(err).startswith(f"{path.name}: "), str(err)
    assert str(err) == f"{path.name}: {err.problem}"
    return err


# ---------------------------------------------------------------------------------
# Plain text encodings


@pytest.mark.parametrize(
    ("raw", "encoding"),
    [
        ((PARA1 + "\n" + PARA2).encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + (PARA1 + "\n" + PARA2).encode("utf-8"), "utf-8"),
        ((PARA1 + "\n" + PARA2).encode("gbk"), "gb18030"),
        ((PARA1 + "\n" + PARA2).encode("utf-16"), "utf-16"),  # Python writes a BOM
        ((PARA1 + "\n" + PARA2).encode("utf-16-be"), "utf-16-be"),  # BOM-less
    ],
    ids=["utf8", "utf8-bom", "gbk", "utf16-bom", "utf16be-no-bom"],
)
def test_text_encodings(tmp_path, raw, encoding):
    doc = read_document(write(tmp_path, "report.txt", raw))
    assert doc == Document(text=PARA1 + "\n" + PARA2, format="txt", encoding=encoding)


def test_short_gbk_is_not_misread_as_big5_or_korean(tmp_path):
    # charset-normalizer alone ranks Big5/CP949 first for these short strings.
    for word in ["稳中求进", "政府工作报告", "报告"]:
        doc = read_document(write(tmp_path, "w.txt", word.encode("gbk")))
        assert doc.text == word


def test_gb18030_char_outside_gbk(tmp_path):
    text = PARA1 + "䶮€"  # U+4DAE (CJK Ext A) and the euro sign are not in GBK
    with pytest.raises(UnicodeEncodeError):
        "䶮".encode("gbk")
    doc = read_document(write(tmp_path, "r.md", text.encode("gb18030")))
    assert (doc.text, doc.format, doc.encoding) == (text, "txt", "gb18030")


def test_newlines_and_control_chars_normalised(tmp_path):
    raw = f"{PARA1}\r\n{PARA2}\r第三段\x07\x1b\t完\x0c末页".encode()
    doc = read_document(write(tmp_path, "r.text", raw))
    assert doc.text == f"{PARA1}\n{PARA2}\n第三段\t完\n末页"


def test_read_bytes_uses_name_only_for_format():
    doc = read_bytes(PARA1.encode("gbk"), "../../etc/passwd.txt")
    assert doc.text == PARA1
    with pytest.raises(IngestError) as info:
        read_bytes(b"", "C:\\Users\\x\\upload.txt")
    assert str(info.value) == "upload.txt: empty file"


# ---------------------------------------------------------------------------------
# DOCX


def make_docx(path: Path) -> Path:
    import docx

    d = docx.Document()
    d.add_paragraph(PARA1)
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "指标", "目标"
    table.cell(1, 0).text, table.cell(1, 1).text = "GDP增速", "5%左右"
    d.add_paragraph(PARA2)
    d.save(path)
    return path


def test_docx_paragraphs_and_table(tmp_path):
    doc = read_document(make_docx(tmp_path / "report.docx"))
    assert doc == Document(
        text="\n".join([PARA1, "指标", "目标", "GDP增速", "5%左右", PARA2]), format="docx", encoding=""
    )


def test_docx_via_read_bytes(tmp_path):
    data = make_docx(tmp_path / "a.docx").read_bytes()
    assert read_bytes(data, "上传.DOCX").text.startswith(PARA1)


def test_docx_empty_and_truncated(tmp_path):
    assert ingest_error(write(tmp_path, "zero.docx", b"")).problem == "empty file"
    data = make_docx(tmp_path / "full.docx").read_bytes()
    err = ingest_error(write(tmp_path, "cut.docx", data[: len(data) // 2]))
    assert err.problem.startswith("broken DOCX")


def test_docx_not_a_zip_and_no_document_part(tmp_path):
    err = ingest_error(write(tmp_path, "fake.docx", "不是压缩包".encode()))
    assert err.problem == "broken DOCX (not a zip archive)"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "hi")
    err = ingest_error(write(tmp_path, "other.docx", buf.getvalue()))
    assert err.problem == "broken DOCX (no word/document.xml)"


def write_zip_bomb(path: Path, megabytes: int) -> Path:
    # Streamed in 1 MB chunks: the test stays fast and never holds the payload in memory.
    chunk = b"\0" * (1024 * 1024)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            for _ in range(megabytes):
                fh.write(chunk)
    return path


def test_docx_zip_bomb_small_limit(tmp_path):
    path = write_zip_bomb(tmp_path / "bomb.docx", 30)
    assert path.stat().st_size < 1024 * 1024
    err = ingest_error(path, max_bytes=1024 * 1024)
    assert err.problem == "DOCX expands to more than 20 MB (zip bomb?)"


def test_docx_zip_bomb_default_limit(tmp_path):
    path = write_zip_bomb(tmp_path / "bomb.docx", 210)
    err = ingest_error(path)
    assert err.problem == "DOCX expands to more than 200 MB (zip bomb?)"


def test_docx_absurd_compression_ratio(tmp_path):
    path = write_zip_bomb(tmp_path / "dense.docx", 3)  # under the size limit
    err = ingest_error(path)
    assert "zip bomb" in err.problem and "word/document.xml" in err.problem


# ---------------------------------------------------------------------------------
# PDF


# PDF builders shared with the robustness suite (tests/robustness/hostile.py)
from robustness.hostile import cjk_pdf as cjk_pdf_without_font_file  # noqa: E402
from robustness.hostile import pdf_from_objects, stream  # noqa: E402


def image_only_pdf() -> bytes:
    pixels = b"\x80" * (8 * 8)
    return pdf_from_objects([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
        b" /Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>",
        stream(b"q 200 0 0 200 72 500 cm /Im1 Do Q"),
        b"<< /Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceGray"
        b" /BitsPerComponent 8 /Length 64 >>\nstream\n" + pixels + b"\nendstream",
    ])


def fpdf_ascii_pdf() -> bytes:
    fpdf = pytest.importorskip("fpdf", reason="fpdf2 is a test dependency (pip install fpdf2)")
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text="Government Work Report 2024", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(text="GDP growth target: around 5 percent.")
    return bytes(pdf.output())


CJK_FONT_CANDIDATES = [
    REPO / "dashboard/fonts/NotoSansSC-Regular-subset.otf",
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
]


def cjk_font_covering(text: str) -> Path | None:
    from fontTools.ttLib import TTFont

    for path in CJK_FONT_CANDIDATES:
        if not path.exists():
            continue
        try:
            font = TTFont(path, fontNumber=0, lazy=True)
            cmap = font.getBestCmap() or {}
        except Exception:
            continue
        if all(ord(c) in cmap for c in set(text)):
            return path
    return None


def test_pdf_ascii_text_layer(tmp_path):
    doc = read_document(write(tmp_path, "en.pdf", fpdf_ascii_pdf()))
    assert doc.format == "pdf" and doc.encoding == ""
    assert doc.text.splitlines() == ["Government Work Report 2024", "GDP growth target: around 5 percent."]


def test_pdf_chinese_text_layer_without_font_file(tmp_path):
    doc = read_document(write(tmp_path, "zh.pdf", cjk_pdf_without_font_file([PARA1, PARA2])))
    assert doc.text.splitlines() == [PARA1, PARA2]


def test_pdf_chinese_text_layer_with_real_font(tmp_path):
    fpdf = pytest.importorskip("fpdf", reason="fpdf2 is a test dependency (pip install fpdf2)")
    font = cjk_font_covering(PARA1 + PARA2)
    if font is None:
        pytest.skip("no CJK font found (repo dashboard/fonts or fonts-wqy-microhei/fonts-noto-cjk)")
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.add_font("cjk", fname=str(font))
    pdf.set_font("cjk", size=12)
    pdf.cell(text=PARA1, new_x="LMARGIN", new_y="NEXT")
    pdf.cell(text=PARA2)
    doc = read_document(write(tmp_path, "zh.pdf", bytes(pdf.output())))
    assert doc.text.splitlines() == [PARA1, PARA2]


def encrypt_pdf(data: bytes, user: str, owner: str, algorithm: str = "RC4-128") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user, owner_password=owner, algorithm=algorithm)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_pdf_encrypted_with_user_password(tmp_path):
    data = encrypt_pdf(cjk_pdf_without_font_file([PARA1]), user="secret", owner="owner")
    err = ingest_error(write(tmp_path, "locked.pdf", data))
    assert err.problem.startswith("encrypted PDF")


def test_pdf_encrypted_with_empty_user_password_is_read(tmp_path):
    data = encrypt_pdf(cjk_pdf_without_font_file([PARA1]), user="", owner="owner")
    assert read_document(write(tmp_path, "perm.pdf", data)).text == PARA1


@pytest.mark.parametrize("algorithm", ["AES-128", "AES-256"])
def test_pdf_encrypted_with_aes_and_an_empty_user_password_is_read(tmp_path, algorithm):
    """Permissions-only AES encryption, common on government PDFs: read with the
    `cryptography` package (in requirements.txt); a real password still refuses."""
    data = encrypt_pdf(cjk_pdf_without_font_file([PARA1]), user="", owner="owner", algorithm=algorithm)
    assert read_document(write(tmp_path, "aes.pdf", data)).text == PARA1
    locked = encrypt_pdf(cjk_pdf_without_font_file([PARA1]), user="secret", owner="owner", algorithm=algorithm)
    assert ingest_error(write(tmp_path, "aes-locked.pdf", locked)).problem == "encrypted PDF (password required)"


def test_pdf_truncated_and_garbage(tmp_path):
    data = cjk_pdf_without_font_file([PARA1, PARA2])
    err = ingest_error(write(tmp_path, "cut.pdf", data[: len(data) // 2]))
    assert err.problem.startswith("broken PDF")
    err = ingest_error(write(tmp_path, "junk.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 4 + b"%%EOF"))
    assert err.problem.startswith("broken PDF")
    err = ingest_error(write(tmp_path, "text.pdf", "这不是PDF".encode()))
    assert err.problem == "broken PDF (no PDF header)"


def test_pdf_without_text_layer(tmp_path):
    err = ingest_error(write(tmp_path, "scan.pdf", image_only_pdf()))
    assert err.problem == "PDF has no text layer (scanned?)"


# ---------------------------------------------------------------------------------
# HTML

HOSTILE_HTML = f"""<!DOCTYPE html>
<html><head><meta charset="{{charset}}"><title>政府工作报告</title>
<style>body {{{{ color: red }}}} .menu {{{{ display: none }}}}</style>
<script>alert(1); document.cookie</script></head>
<body>
<nav class="menu"><ul><li><a href="/">首页导航</a></li><li><a href="/x">联系我们</a></li></ul></nav>
<header>网站头部横幅</header>
<iframe src="https://evil.example/"></iframe>
<img src="x.png" onerror="alert('xss')">
<article>
<h1>政府工作报告</h1>
<p>{PARA1}坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念，加快构建新发展格局。</p>
<p>{PARA2}居民消费价格涨幅3%左右；居民收入增长和经济增长同步。</p>
</article>
<script type="text/javascript">window.location = "javascript:alert(2)";</script>
<footer>版权所有 网站页脚</footer>
</body></html>
"""
FORBIDDEN = ["alert", "onerror", "cookie", "javascript", "首页导航", "联系我们", "网站页脚", "color: red"]


@pytest.mark.parametrize(("charset", "encode_as"), [("utf-8", "utf-8"), ("gb2312", "gbk"), ("utf-8", "gbk")])
def test_html_article_only(tmp_path, charset, encode_as):
    html = HOSTILE_HTML.format(charset=charset)
    doc = read_document(write(tmp_path, "page.html", html.encode(encode_as)))
    assert doc.format == "html"
    assert PARA1 in doc.text and PARA2 in doc.text
    for word in FORBIDDEN:
        assert word not in doc.text, word


def test_html_fallback_never_leaks_script(tmp_path, monkeypatch):
    import trafilatura

    monkeypatch.setattr(trafilatura, "extract", lambda *a, **k: None)
    html = HOSTILE_HTML.format(charset="utf-8")
    doc = read_document(write(tmp_path, "page.htm", html.encode()))
    lines = doc.text.splitlines()
    assert any(PARA1 in line for line in lines) and any(PARA2 in line for line in lines)
    for word in FORBIDDEN:
        assert word not in doc.text, word


def test_html_with_only_scripts_has_no_text(tmp_path):
    err = ingest_error(write(tmp_path, "x.html", b"<html><script>alert(1)</script><nav>menu</nav></html>"))
    assert err.problem == "HTML has no readable text"


# ---------------------------------------------------------------------------------
# Bad input


def test_empty_and_whitespace_only(tmp_path):
    assert ingest_error(write(tmp_path, "empty.txt", b"")).problem == "empty file"
    assert ingest_error(write(tmp_path, "ws.txt", " \r\n\t\u3000\n".encode())).problem == "empty file"
    assert ingest_error(write(tmp_path, "ws16.txt", " \n".encode("utf-16"))).problem == "empty file"


def test_binary_junk_named_txt(tmp_path):
    junk = os.urandom(4096) + b"\0\0\0\0" + os.urandom(4096)
    assert ingest_error(write(tmp_path, "junk.txt", junk)).problem == "binary or undecodable content"
    # Without NUL bytes: the control-character share gives it away.
    no_nul = bytes(b for b in os.urandom(8192) if b) or b"\x01"
    assert ingest_error(write(tmp_path, "junk2.txt", no_nul)).problem == "binary or undecodable content"


def test_over_size_limit(tmp_path):
    path = write(tmp_path, "big.txt", PARA1.encode() * 100)
    err = ingest_error(path, max_bytes=1000)
    assert err.problem == "file is 8.8 KB, over the 1000 bytes limit"
    with pytest.raises(IngestError, match=r"^big\.txt: file is 8\.8 KB, over"):
        read_bytes(path.read_bytes(), "big.txt", max_bytes=1000)


def test_size_message_in_megabytes(tmp_path):
    path = write(tmp_path, "big.txt", b"a" * (3 * 1024 * 1024 + 300 * 1024))
    err = ingest_error(path, max_bytes=2 * 1024 * 1024)
    assert err.problem == "file is 3.3 MB, over the 2 MB limit"


def test_missing_path_directory_and_unsupported(tmp_path):
    assert ingest_error(tmp_path / "nope.txt").problem == "no such file"
    (tmp_path / "dir.txt").mkdir()
    assert ingest_error(tmp_path / "dir.txt").problem == "is a directory"
    err = ingest_error(write(tmp_path, "sheet.xyz", b"data"))
    assert err.problem == "unsupported file type .xyz (use .txt, .docx, .pdf or .html)"
    with pytest.raises(IngestError, match=r"^old\.doc: unsupported file type \.doc "):
        read_bytes(b"data", "old.doc")


def test_parser_crash_becomes_short_ingest_error(tmp_path, monkeypatch):
    import analysis.readers as readers

    def boom(*a, **k):
        raise RuntimeError("internal detail")

    monkeypatch.setattr(readers, "_docx_lines", boom)
    err = ingest_error(make_docx(tmp_path / "r.docx"))
    assert err.problem == "could not read DOCX (RuntimeError)"


def test_keyboard_interrupt_is_not_swallowed(tmp_path, monkeypatch):
    import analysis.readers as readers

    def interrupt(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(readers, "_decode", interrupt)
    with pytest.raises(KeyboardInterrupt):
        read_document(write(tmp_path, "a.txt", b"hello"))


def test_ingest_error_pickles_and_constants():
    err = pickle.loads(pickle.dumps(IngestError(Path("/x/y/报告.pdf"), "encrypted PDF")))
    assert (str(err), err.problem, err.path) == ("报告.pdf: encrypted PDF", "encrypted PDF", Path("/x/y/报告.pdf"))
    assert SUPPORTED_SUFFIXES == {".txt", ".md", ".text", ".docx", ".pdf", ".html", ".htm"}
    assert DEFAULT_MAX_BYTES == 50 * 1024 * 1024


def test_line_separators_become_newlines_as_translate_made_them():
    import random

    from analysis.readers import _clean

    table = {0x0B: "\n", 0x0C: "\n", 0x85: "\n", 0x2028: "\n", 0x2029: "\n"}
    rng = random.Random(4)
    alphabet = ["\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\r", "\n", "\r\n", "a", "中", "\x07", "\ud800"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        unified = text.replace("\r\n", "\n").replace("\r", "\n").translate(table)
        want = re.sub(r"[\ud800-\udfff]", "", re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", "", unified))
        assert _clean(text) == want


def test_clean_shortcut_leaves_exactly_the_untouched_texts():
    from analysis.readers import _clean

    def plain(text):
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        text = re.sub("[\x0b\x0c\x85\u2028\u2029]", "\n", text)
        return re.sub(r"[\ud800-\udfff]", "", re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", "", text))

    for code in range(0x10000):
        text = f"中{chr(code)}\n文"
        assert _clean(text) == plain(text), hex(code)
    text = "中文\t报告\n"
    assert _clean(text) is text
