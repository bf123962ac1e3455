"""Makers of hostile and broken input files, and a runner that bounds time and memory.

Everything is generated here, in memory or in a temporary folder; nothing hostile is
stored in the repository.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import resource
import signal
import struct
import subprocess
import sys
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"

PARA1 = "各位代表：现在，我代表国务院，向大会报告政府工作，请予审议。坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。"
PARA2 = "今年发展主要预期目标是：国内生产总值增长5%左右；城镇新增就业1200万人以上；居民消费价格涨幅3%左右。"
REPORT = f"2026年政府工作报告\n{PARA1}\n{PARA2}\n"


# --- bounded execution -----------------------------------------------------------------------------


class Hang(Exception):
    pass


@contextmanager
def time_limit(seconds: int):
    """Fail (instead of hanging the suite) if the block runs longer than `seconds`."""

    def on_alarm(signum, frame):
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class Bounded:
    returncode: int
    stdout: str
    stderr: str
    peak_rss_mb: float  # VmHWM of the child, from its own /proc status at exit
    seconds: float


_PRELUDE = """
import atexit, json, os, sys, time
sys.path.insert(0, {root!r})
_t0 = time.perf_counter()
def _report():
    hwm = 0
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    sys.stderr.write("\\n@@BOUNDED " + json.dumps({{"hwm_kb": hwm, "seconds": time.perf_counter() - _t0}}) + "\\n")
atexit.register(_report)
"""


def communicate_or_fail(proc: subprocess.Popen, timeout: float, what: str = "still running") -> tuple[str, str]:
    """The output of a child started in its own process group; past `timeout` the group
    is killed and the calling test fails with a clear message."""
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise AssertionError(f"{what} after {timeout} s (hang?)") from None


def run_bounded(code: str, *, timeout: float, max_mb: int, args: list[str] = (), env: dict | None = None) -> Bounded:
    """Run Python `code` in a child limited to `max_mb` of address space and `timeout`
    seconds. A hang or a memory blow-up fails the calling test with a clear message."""

    def limit():
        os.setsid()  # its own process group, so a timeout kills its workers too
        resource.setrlimit(resource.RLIMIT_AS, (max_mb << 20, max_mb << 20))

    full_env = {**os.environ, "MALLOC_ARENA_MAX": "2", "PYTHONHASHSEED": "0", **(env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-c", _PRELUDE.format(root=str(ROOT)) + code, *args],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=limit, env=full_env,
    )
    out, err = communicate_or_fail(proc, timeout)
    stats = {"hwm_kb": 0, "seconds": 0.0}
    for line in err.splitlines():
        if line.startswith("@@BOUNDED "):
            stats = json.loads(line[len("@@BOUNDED ") :])
    err = "\n".join(line for line in err.splitlines() if not line.startswith("@@BOUNDED "))
    return Bounded(proc.returncode, out, err, stats["hwm_kb"] / 1024, stats["seconds"])


READ_ONE = """
from analysis.readers import IngestError, read_document
try:
    doc = read_document(sys.argv[1], max_bytes=int(sys.argv[2]))
    print(json.dumps({"ok": True, "chars": len(doc.text), "head": doc.text[:200]}))
except IngestError as err:
    print(json.dumps({"ok": False, "error": str(err), "problem": err.problem}))
"""


# --- PDF -------------------------------------------------------------------------------------------


def pdf_from_objects(objects: list[bytes], trailer_extra: bytes = b"") -> bytes:
    """A minimal PDF (object 1 is the catalog) with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for num, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % num + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer_extra, xref)
    return bytes(out)


def stream(data: bytes, *, flate: bool = False, extra: bytes = b"") -> bytes:
    if flate:
        data = zlib.compress(data, 9)
        extra += b" /Filter /FlateDecode"
    return b"<< /Length %d%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def cjk_pdf(lines: list[str]) -> bytes:
    """A PDF whose text layer is Chinese (Type0 font, Identity-H, ToUnicode; no font file)."""
    chars = sorted({c for line in lines for c in line})
    cid = {c: i + 1 for i, c in enumerate(chars)}
    cmap = b"".join(b"<%04X> <%04X>\n" % (cid[c], ord(c)) for c in chars)
    tounicode = (
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        b"/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        b"1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
        b"%d beginbfchar\n" % len(chars) + cmap + b"endbfchar\nendcmap CMapName currentdict /CMap defineresource pop end end"
    )
    content = b"BT /F1 12 Tf 14 TL 72 720 Td\n" + b"".join(
        b"<" + "".join(f"{cid[c]:04X}" for c in line).encode() + b"> Tj T*\n" for line in lines
    ) + b"ET"
    return pdf_from_objects([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        stream(content),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /NoFontFile /Encoding /Identity-H /DescendantFonts [6 0 R] /ToUnicode 7 0 R >>",
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /NoFontFile"
        b" /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 8 0 R /DW 1000 >>",
        stream(tounicode),
        b"<< /Type /FontDescriptor /FontName /NoFontFile /Flags 4 /FontBBox [0 0 1000 1000] /ItalicAngle 0"
        b" /Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >>",
    ])


def rc4_encrypted_pdf(user_password: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(cjk_pdf([PARA1]))))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def aes256_encrypted_pdf() -> bytes:
    """A PDF with an AES-256 (V5 R6) /Encrypt dictionary. Reading it needs an AES
    implementation (pypdf uses the optional 'cryptography' package) and a password."""
    encrypt = (
        b"<< /Filter /Standard /V 5 /R 6 /Length 256 /P -4 /StmF /StdCF /StrF /StdCF"
        b" /CF << /StdCF << /CFM /AESV3 /AuthEvent /DocOpen /Length 32 >> >>"
        b" /O <" + b"11" * 48 + b"> /U <" + b"22" * 48 + b"> /OE <" + b"33" * 32 + b"> /UE <" + b"44" * 32 + b">"
        b" /Perms <" + b"55" * 16 + b"> >>"
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        stream(b"BT ET"),
        encrypt,
    ]
    return pdf_from_objects(objects, b"/Encrypt 5 0 R /ID [<" + b"ab" * 16 + b"> <" + b"ab" * 16 + b">] ")


_HELVETICA = b"<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>"


def shared_content_pdf(content: bytes, pages: int) -> bytes:
    """`pages` pages that all draw one Flate-compressed content stream (object 3)."""
    kids = b" ".join(b"%d 0 R" % (4 + i) for i in range(pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
               stream(content, flate=True)]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources " + _HELVETICA + b" /Contents 3 0 R >>"] * pages
    return pdf_from_objects(objects)


def form_bomb_pdf(invocations: int, form_operations: int) -> bytes:
    """One page that draws one form XObject `invocations` times; the form holds
    `form_operations` drawing operations. Under 1 KB, hours of work for a naive reader."""
    form = b"BT /F1 12 Tf 72 720 Td (Hi) Tj ET\n" + b"q Q\n" * form_operations
    return pdf_from_objects([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Fm1 5 0 R >> >> /Contents 4 0 R >>",
        stream(b"/Fm1 Do\n" * invocations, flate=True),
        stream(form, flate=True, extra=b" /Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources " + _HELVETICA),
    ])


# --- DOCX ------------------------------------------------------------------------------------------


def docx_bytes(paragraphs: list[str]) -> bytes:
    import docx

    d = docx.Document()
    for p in paragraphs:
        d.add_paragraph(p)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _docx_parts(paragraphs: list[str]) -> tuple[list[tuple[str, bytes]], bytes]:
    """The parts of a real DOCX other than word/document.xml, and that part."""
    with zipfile.ZipFile(io.BytesIO(docx_bytes(paragraphs))) as zf:
        parts = [(i.filename, zf.read(i)) for i in zf.infolist() if i.filename != "word/document.xml"]
        return parts, zf.read("word/document.xml")


def _zeros_deflate(mib: int, prefix: bytes):
    """A raw deflate stream of `prefix` then `mib` MiB of NUL bytes, built from one
    compressed MiB repeated (Z_FULL_FLUSH resets the window, so every block is the same):
    gigabytes are written in a second, about 1 KB per MiB."""
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    yield co.compress(prefix) + co.flush(zlib.Z_FULL_FLUSH)
    block = co.compress(bytes(1 << 20)) + co.flush(zlib.Z_FULL_FLUSH)
    for _ in range(mib):
        yield block
    yield co.flush(zlib.Z_FINISH)


def _zip_local(name: bytes, crc: int, csize: int, size: int, method: int) -> bytes:
    return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc, csize, size, len(name), 0) + name


def _zip_central(name: bytes, crc: int, csize: int, size: int, method: int, offset: int) -> bytes:
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0, crc, csize, size, len(name), 0, 0, 0, 0, 0, offset) + name


def write_docx_bomb(path: Path, mib: int, *, lie: bool = False) -> Path:
    """A .docx whose word/document.xml inflates to `mib` MiB (< 4 GiB, written streamed).

    lie=False: the zip headers state the real size (the honest zip bomb).
    lie=True: the part starts with a valid document and the headers claim only that much
    (CRC included); the gigabytes of NULs after it are not declared anywhere.
    """
    parts, document = _docx_parts([PARA1])
    prefix = document if lie else b""
    if lie:
        size, crc = len(document), zlib.crc32(document)
    else:
        size, crc, zero = mib << 20, 0, bytes(1 << 20)
        for _ in range(mib):
            crc = zlib.crc32(zero, crc)
    central = []
    with open(path, "wb") as f:
        for name, data in parts:
            central.append(_zip_central(name.encode(), zlib.crc32(data), len(data), len(data), 0, f.tell()))
            f.write(_zip_local(name.encode(), zlib.crc32(data), len(data), len(data), 0) + data)
        name = b"word/document.xml"
        offset = f.tell()
        f.write(_zip_local(name, crc, 0, size, 8))
        start = f.tell()
        for chunk in _zeros_deflate(mib, prefix):
            f.write(chunk)
        csize = f.tell() - start
        f.seek(offset + 18)
        f.write(struct.pack("<I", csize))
        f.seek(0, os.SEEK_END)
        central.append(_zip_central(name, crc, csize, size, 8, offset))
        cd = f.tell()
        for entry in central:
            f.write(entry)
        f.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), f.tell() - cd, cd, 0))
    return path


def docx_with_many_parts(n: int) -> bytes:
    parts, document = _docx_parts([PARA1])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in parts:
            zf.writestr(name, data)
        zf.writestr("word/document.xml", document)
        for i in range(n):
            zf.writestr(f"extra/part{i}.xml", b"")
    return buf.getvalue()


def docx_with_lzma_part() -> bytes:
    parts, document = _docx_parts([PARA1])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in parts:
            zf.writestr(name, data)
        zf.writestr("word/document.xml", document, compress_type=zipfile.ZIP_LZMA)
    return buf.getvalue()


def docx_with_big_honest_text(n_paragraphs: int) -> bytes:
    """An honest DOCX (plain zip, truthful sizes) that simply holds a lot of text."""
    return docx_bytes([f"{PARA1}第{i}段。" for i in range(n_paragraphs)])


# --- HTML ------------------------------------------------------------------------------------------

# Markers of content a browser never shows as text: none may reach the extracted text.
PAYLOADS = [
    "REFRESHPAYLOAD", "BASEPAYLOAD", "SCRIPTPAYLOAD", "MODULEPAYLOAD", "STYLEPAYLOAD", "CSSPAYLOAD", "LINKPAYLOAD",
    "ONLOADPAYLOAD", "IFRAMEPAYLOAD", "IFRAMETEXTPAYLOAD", "SRCDOCPAYLOAD", "ONERRORPAYLOAD", "SVGPAYLOAD",
    "SVGSCRIPTPAYLOAD", "MATHPAYLOAD", "OBJECTPAYLOAD", "EMBEDPAYLOAD", "NOSCRIPTPAYLOAD", "TEMPLATEPAYLOAD",
    "FORMPAYLOAD", "INPUTPAYLOAD", "BUTTONPAYLOAD", "TEXTAREAPAYLOAD", "ONCLICKPAYLOAD", "HREFPAYLOAD",
    "COMMENTPAYLOAD", "INLINESCRIPTPAYLOAD", "TOGGLEPAYLOAD", "UNCLOSEDPAYLOAD",
]
FORBIDDEN = ["alert(", "javascript", "onerror", "onload", "<script", "<iframe", "<img", "<svg", "document.", "import '"]

HOSTILE_HTML = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>报告</title>
<meta http-equiv="refresh" content="0;url=javascript:alert('REFRESHPAYLOAD')">
<base href="javascript:alert('BASEPAYLOAD')//">
<script>alert('SCRIPTPAYLOAD')</script>
<script type="module">import 'MODULEPAYLOAD'</script>
<style>@import 'STYLEPAYLOAD'; body{{background:url("javascript:alert('CSSPAYLOAD')")}}</style>
<link rel="stylesheet" href="LINKPAYLOAD.css">
</head><body onload="alert('ONLOADPAYLOAD')">
<iframe src="javascript:alert('IFRAMEPAYLOAD')">IFRAMETEXTPAYLOAD</iframe>
<iframe srcdoc="&lt;script&gt;alert('SRCDOCPAYLOAD')&lt;/script&gt;"></iframe>
<img src=x onerror="alert('ONERRORPAYLOAD')">
<svg onload="alert('SVGPAYLOAD')"><script>alert('SVGSCRIPTPAYLOAD')</script></svg>
<math><mtext><script>alert('MATHPAYLOAD')</script></mtext></math>
<object data="javascript:alert('OBJECTPAYLOAD')"></object>
<embed src="javascript:alert('EMBEDPAYLOAD')">
<noscript><img src=x onerror=alert('NOSCRIPTPAYLOAD')></noscript>
<template><script>alert('TEMPLATEPAYLOAD')</script></template>
<form action="javascript:alert('FORMPAYLOAD')"><input value="INPUTPAYLOAD"><button>BUTTONPAYLOAD</button><textarea>TEXTAREAPAYLOAD</textarea></form>
<article>
<h1>政府工作报告</h1>
<p onclick="alert('ONCLICKPAYLOAD')">{PARA1}<a href="javascript:alert('HREFPAYLOAD')">链接</a></p>
<!-- <script>alert('COMMENTPAYLOAD')</script> -->
<p>{PARA2}<script>document.write('INLINESCRIPTPAYLOAD')</script></p>
<details open ontoggle="alert('TOGGLEPAYLOAD')"><summary>{PARA1}</summary></details>
</article>
<script>alert('UNCLOSEDPAYLOAD')
"""


def big_hostile_html() -> str:
    """Over trafilatura's size limit (2M characters), so the lxml fallback does the work:
    a page padded with a 2.2 MB script and a 0.5 MB style sheet, among real paragraphs."""
    script = "<script>" + "alert('SCRIPTPAYLOAD');" * 100_000 + "</script>\n"
    style = "<style>" + ".a{background:url(javascript:alert('CSSPAYLOAD'))}" * 10_000 + "</style>\n"
    paragraphs = "".join(f"<p>{PARA2}第{i}段。</p>\n" for i in range(200))
    return HOSTILE_HTML.replace("</article>", script + paragraphs + style + "</article>")


# --- text --------------------------------------------------------------------------------------------


def seed_texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]


def big_report(megabytes: int, seed: int = 1) -> bytes:
    """A report file of about `megabytes` MB made of the seeds' paragraphs with varied figures."""
    rnd = random.Random(seed)
    paragraphs = [line for text in seed_texts() for line in text.split("\n") if len(line) > 60]
    out, size = ["某区2026年政府工作报告"], 0
    while size < megabytes << 20:
        p = re.sub(r"\d+(?:\.\d+)?", lambda m: str(rnd.randint(1, 999)), rnd.choice(paragraphs))
        out.append(p)
        size += len(p.encode()) + 1
    return "\n".join(out).encode()


def runaway_paragraph(megabytes: int, seed: int = 2) -> bytes:
    """PDF-like text: short lines cut mid-sentence, no sentence end anywhere, a figure in
    every line: one 'paragraph' of `megabytes` MB unless the cleaner bounds it."""
    rnd = random.Random(seed)
    words = ["加快发展", "推进工作", "新增企业", "完成投资", "力争", "确保", "全区", "项目", "建设", "创新"]
    out, size = ["某区工作报告"], 0
    while size < megabytes << 20:
        line = "".join(rnd.choice(words) for _ in range(8)) + f"{rnd.randint(1, 999)}亿元，"
        out.append(line)
        size += len(line.encode()) + 1
    return "\n".join(out).encode()
