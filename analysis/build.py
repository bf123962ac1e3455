"""`python -m analysis build`: files in, a complete store out, or the old store untouched.

Steps: collect input files -> hash them -> reuse the rows of files whose content and
dictionaries are unchanged since the last build -> analyse the rest in worker
processes (both cores) -> stream rows into Parquet -> corpus-wide tables (TF-IDF
keywords) with DuckDB -> swap the finished build in atomically.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from tqdm import tqdm

from analysis import keywords
from analysis.pipeline import Resources, analyse_file
from analysis.readers import SUPPORTED_SUFFIXES
from analysis.schema import SCHEMA_VERSION, TABLES
from analysis.store import Snapshot, StoreError, TableWriter, build_lock, commit, new_build_dir, open_snapshot

DEFAULT_STORE = Path("store")
TFIDF_TOP_K = 20
TFIDF_ALPHA = 0.5


@dataclass(frozen=True)
class InputFile:
    path: Path
    source_file: str  # the name shown to users
    content_hash: str = ""
    problem: str = ""  # set when the path cannot be read at all


@dataclass
class BuildResult:
    store: Path
    n_files: int = 0
    n_reports: int = 0
    analysed: int = 0
    reused: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        head = f"{self.n_files} files, {self.n_reports} reports, {len(self.skipped)} skipped"
        tail = "".join(f"\n  - {msg}" for _, msg in self.skipped)
        return f"{head} ({self.analysed} analysed, {self.reused} unchanged) in {self.seconds:.1f} s -> {self.store}{tail}"

    @property
    def ok(self) -> bool:
        return self.n_files > len(self.skipped)


def collect_inputs(paths: Iterable[Path]) -> list[InputFile]:
    """Files named directly, and every supported file under the folders named (sorted)."""
    found: list[InputFile] = []
    for root in map(Path, paths):
        if root.is_dir():
            for p in sorted(root.rglob("*")):
                if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and not p.name.startswith("."):
                    found.append(InputFile(p, f"{root.name}/{p.relative_to(root).as_posix()}"))
        elif root.is_file():
            found.append(InputFile(root, root.name))
        else:
            found.append(InputFile(root, root.name, problem=f"{root.name}: no such file or folder ({root})"))
    return found


def hash_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def build(
    paths: Iterable[Path],
    out: Path = DEFAULT_STORE,
    *,
    res: Resources | None = None,
    workers: int | None = None,
    progress: bool | None = None,
    wait: float = 0,
) -> BuildResult:
    started = time.perf_counter()
    res = res or Resources()
    out = Path(out)
    with build_lock(out, wait=wait):
        inputs = [_hashed(f) for f in collect_inputs(paths)]
        previous = _previous(out, res.fingerprint())
        build_dir = new_build_dir(out)
        try:
            result = _write_build(inputs, previous, build_dir, res, workers, progress)
            result.store = out
            if result.n_files == 0 or result.ok:
                manifest = {
                    "schema_version": SCHEMA_VERSION,
                    "fingerprint": res.fingerprint(),
                    "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
                    "n_files": result.n_files,
                    "n_reports": result.n_reports,
                    "skipped": result.skipped,
                }
                commit(out, build_dir, manifest)
            else:
                shutil.rmtree(build_dir, ignore_errors=True)
        except BaseException:
            shutil.rmtree(build_dir, ignore_errors=True)
            raise
    result.seconds = time.perf_counter() - started
    return result


def _hashed(f: InputFile) -> InputFile:
    if f.problem:
        return f
    try:
        return InputFile(f.path, f.source_file, hash_file(f.path))
    except OSError as err:
        return InputFile(f.path, f.source_file, problem=f"{f.source_file}: cannot be read ({err.strerror or err})")


def _previous(out: Path, fingerprint: str) -> Snapshot | None:
    """The last build, if its rows can be reused (same schema and same dictionaries)."""
    try:
        snap = open_snapshot(out)
    except StoreError:
        return None
    return snap if snap.manifest.get("fingerprint") == fingerprint else None


def _write_build(inputs, previous, build_dir, res, workers, progress) -> BuildResult:
    result = BuildResult(store=build_dir)
    writer = TableWriter(build_dir)
    textrank = _TextrankSink(build_dir)
    reusable = _reusable_hashes(previous)
    seen: dict[str, str] = {}
    todo: list[InputFile] = []
    reuse: dict[str, str] = {}  # content hash -> new source_file
    for f in inputs:
        if f.problem:
            _skip(writer, result, f, f.problem, "skipped")
        elif f.content_hash in seen:
            _skip(writer, result, f, f"{f.source_file}: same content as {seen[f.content_hash]} (not counted twice)", "duplicate")
        else:
            seen[f.content_hash] = f.source_file
            (reuse.__setitem__(f.content_hash, f.source_file) if f.content_hash in reusable else todo.append(f))
    if reuse:
        result.reused = len(reuse)
        _copy_previous(previous, reuse, writer, textrank, result)
    for rows in _analyse_all(todo, res, workers, progress):
        _record(rows, writer, textrank, result)
        result.analysed += 1
    writer.close()
    textrank.close()
    _write_keywords(build_dir, textrank.path)
    return result


def _skip(writer: TableWriter, result: BuildResult, f: InputFile, message: str, status: str) -> None:
    result.n_files += 1
    result.skipped.append((f.source_file, message))
    writer.add("files", [{
        "source_file": f.source_file, "content_hash": f.content_hash, "size_bytes": _size(f.path),
        "format": f.path.suffix.lstrip(".").lower(), "encoding": "", "status": status, "message": message, "n_reports": 0,
    }])


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _record(rows: dict[str, list[dict]], writer: TableWriter, textrank: "_TextrankSink", result: BuildResult) -> None:
    file_row = rows["files"][0]
    result.n_files += 1
    result.n_reports += len(rows["reports"])
    if file_row["status"] != "ok":
        result.skipped.append((file_row["source_file"], file_row["message"]))
    for name, table_rows in rows.items():
        if name == "textrank":
            textrank.add(table_rows)
        else:
            writer.add(name, table_rows)


# --- parallel analysis -------------------------------------------------------------------------

_WORKER_RES: Resources | None = None


def _init_worker(res: Resources) -> None:
    global _WORKER_RES
    _WORKER_RES = res
    _ = res.segmenter, res.stopwords, res.themes  # load dictionaries once per process


def _analyse_one(f: InputFile) -> dict[str, list[dict]]:
    return analyse_file(f.path.read_bytes(), f.source_file, _WORKER_RES, content_hash=f.content_hash)


def _analyse_all(todo: list[InputFile], res: Resources, workers: int | None, progress: bool | None) -> Iterator[dict]:
    workers = workers or min(os.cpu_count() or 1, 8)
    bar = tqdm(total=len(todo), unit="file", desc="analysing", disable=None if progress is None else not progress, file=sys.stderr)
    try:
        if workers <= 1 or len(todo) <= 2:
            _init_worker(res)
            for f in todo:
                yield _analyse_one(f)
                bar.update()
        else:
            with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(res,)) as pool:
                for rows in pool.map(_analyse_one, todo, chunksize=max(1, min(16, len(todo) // (workers * 8)))):
                    yield rows
                    bar.update()
    finally:
        bar.close()


# --- reuse of unchanged files ---------------------------------------------------------------------


def _reusable_hashes(previous: Snapshot | None) -> set[str]:
    if previous is None:
        return set()
    files = previous.read("files", ["content_hash", "status"])
    ok = pc.equal(files["status"], "ok")
    return set(files.filter(ok)["content_hash"].to_pylist())


def _copy_previous(previous: Snapshot, reuse: dict[str, str], writer, textrank, result: BuildResult) -> None:
    """Stream the previous rows of unchanged files into the new build (renamed files get their new name)."""
    prefixes = pa.array(sorted(h[:12] for h in reuse))
    new_name = {h[:12]: name for h, name in reuse.items()}
    for name, table in TABLES.items():
        if table.scope != "file":
            continue
        key = "content_hash" if name == "files" else "report_id"
        for batch in ds.dataset(previous.table_path(name)).to_batches():
            t = pa.Table.from_batches([batch])
            prefix = pc.utf8_slice_codeunits(t[key], 0, 12)
            t = t.filter(pc.is_in(prefix, value_set=prefixes))
            if t.num_rows == 0:
                continue
            if "source_file" in t.column_names:
                names = pa.array([new_name[p] for p in pc.utf8_slice_codeunits(t[key], 0, 12).to_pylist()], pa.string())
                t = t.set_column(t.column_names.index("source_file"), "source_file", names)
            if name == "reports":
                result.n_reports += t.num_rows
            if name == "files":
                result.n_files += t.num_rows
            writer.add_table(name, t)
    kw = previous.read("keywords")
    kw = kw.filter(pc.and_(pc.equal(kw["method"], "textrank"), pc.is_in(pc.utf8_slice_codeunits(kw["report_id"], 0, 12), value_set=prefixes)))
    textrank.add_table(kw)


# --- corpus-wide tables -------------------------------------------------------------------------------


class _TextrankSink:
    """Per-report TextRank rows, parked in the build folder until `keywords` is written."""

    def __init__(self, build_dir: Path):
        self.path = build_dir / "_textrank.parquet"
        self._writer = pq.ParquetWriter(self.path, TABLES["keywords"].schema)
        self._buf: list[dict] = []

    def add(self, rows: list[dict]) -> None:
        self._buf.extend(rows)
        if len(self._buf) > 50_000:
            self._flush()

    def add_table(self, table: pa.Table) -> None:
        self._flush()
        self._writer.write_table(table.cast(TABLES["keywords"].schema))

    def _flush(self) -> None:
        if self._buf:
            self._writer.write_table(pa.Table.from_pylist(self._buf, schema=TABLES["keywords"].schema))
            self._buf.clear()

    def close(self) -> None:
        self._flush()
        self._writer.close()


def _write_keywords(build_dir: Path, textrank_path: Path) -> None:
    """TF-IDF over the whole corpus, in DuckDB straight from Parquet (memory stays flat at 10,000 reports)."""
    con = duckdb.connect()
    try:
        idf, median = keywords.load_jieba_idf()
        con.register("jieba_idf", pa.table({"term": list(idf), "idf": list(idf.values())}))
        con.execute(KEYWORDS_SQL.format(
            term_counts=_sql_path(build_dir / "term_counts.parquet"),
            reports=_sql_path(build_dir / "reports.parquet"),
            textrank=_sql_path(textrank_path),
            out=_sql_path(build_dir / "keywords.parquet"),
            alpha=TFIDF_ALPHA, median=median, top_k=TFIDF_TOP_K,
        ))
    finally:
        con.close()
    textrank_path.unlink()


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


# Corpus IDF = ln((1+N)/(1+df)) + 1, blended with jieba's general-language IDF so that a
# corpus of five files still ranks sensibly (see analysis.keywords.tfidf_keywords).
KEYWORDS_SQL = """
COPY (
  WITH tc AS (SELECT report_id, term, sum("count") AS c FROM read_parquet({term_counts}) GROUP BY ALL),
  n AS (SELECT count(*) AS n FROM read_parquet({reports})),
  df AS (SELECT term, count(*) AS df FROM tc GROUP BY term),
  len AS (SELECT report_id, sum(c) AS total FROM tc GROUP BY report_id),
  scored AS (
    SELECT tc.report_id, tc.term,
      (tc.c / len.total) * ({alpha} * (ln((1 + n.n) / (1 + df.df)) + 1)
                          + (1 - {alpha}) * coalesce(j.idf, {median})) AS weight
    FROM tc JOIN len USING (report_id) JOIN df USING (term) CROSS JOIN n LEFT JOIN jieba_idf j USING (term)
  ),
  ranked AS (
    SELECT report_id, term, weight,
      row_number() OVER (PARTITION BY report_id ORDER BY weight DESC, term) AS rank
    FROM scored
  )
  SELECT report_id, term, weight, rank, 'tfidf' AS method FROM ranked WHERE rank <= {top_k}
  UNION ALL
  SELECT report_id, term, weight, rank, method FROM read_parquet({textrank})
  ORDER BY report_id, method, rank
) TO {out} (FORMAT parquet, COMPRESSION zstd)
"""
