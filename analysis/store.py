"""The on-disk store: `DIR/<table>.parquet` plus `DIR/manifest.json`, swapped in atomically.

`DIR` is a symbolic link to one complete build in `DIR.builds/<build-id>/`. A build
writes a new folder next to the old ones and then replaces the link in one
`os.replace`, so a reader sees either the old store or the new one, never a mix,
and a build that dies half-way leaves the old store as it was. A lock file stops two
builds from writing the same store at once.

A table is either one Parquet file `<table>.parquet` or, for a large corpus, a folder
`<table>.parquet/` of part files `part-00000.parquet`, `part-00001.parquet` ... read in
name order (`Snapshot.read` and `Snapshot.sql_source` accept both). The build writes
the rows of the per-file tables in groups of whole input files: part k of every such
table holds the rows of the same files, which lets the next build hard-link the parts
of groups whose files are all unchanged instead of copying their rows (`PartWriter`).
A build that fits in one group writes plain files, as small stores always had.
Within a part, `paragraphs` is cut into row groups of whole reports (`REPORT_GROUPED`),
so the app reads a few reports' paragraphs without decoding the whole part.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from filelock import FileLock, Timeout

from analysis.schema import SCHEMA_VERSION, TABLES

T = TypeVar("T")
K = TypeVar("K")
MANIFEST = "manifest.json"
# A folder readers may add to a build for copies they derive from it (the app's
# memory-mapped copies, `dashboard.mapped`); the build never writes one.
DERIVED_DIR = "_mapped"
KEEP_BUILDS = 2  # the live build and the one before, for readers still holding it


class StoreError(Exception):
    """A store that is missing, locked, corrupt or of an older schema; the message says which."""


@dataclass(frozen=True)
class Snapshot:
    """One complete build, resolved once so every table read comes from the same build."""

    path: Path
    manifest: dict

    def table_path(self, name: str) -> Path:
        """`<name>.parquet`: a Parquet file, or a folder of part files (see the module doc)."""
        return self.path / f"{name}.parquet"

    def part_paths(self, name: str) -> list[Path]:
        """The Parquet files holding the table, in row order."""
        return table_files(self.table_path(name))

    def read(self, name: str, columns: list[str] | None = None) -> pa.Table:
        tables = map_parts(lambda p: read_part(p, columns), self.part_paths(name))
        return pa.concat_tables(tables) if tables else _empty(name, columns)

    def sql_source(self, name: str) -> str:
        """A DuckDB table expression for the table: read_parquet('...') of the file or its parts."""
        return sql_source(self.table_path(name))


def table_files(path: Path) -> list[Path]:
    """The Parquet files of a table stored at `path` (a file, or a folder of parts)."""
    path = Path(path)
    return sorted(path.glob("part-*.parquet")) if path.is_dir() else [path]


def map_parts(fn: Callable[[K], T], items: Sequence[K], threads: int = 4) -> list[T]:
    """`fn` of every item (a part to read or write), in order; on `threads` threads when
    there are several, since pyarrow decodes, encodes and compresses without the GIL."""
    if len(items) < 2:
        return [fn(p) for p in items]
    with ThreadPoolExecutor(max_workers=min(threads, len(items))) as pool:
        return list(pool.map(fn, items))


def prefetched(read: Callable[[K], T], items: Iterable[K], ahead: int = 2) -> Iterator[T]:
    """`read(item)` for each item, in order, up to `ahead` items read ahead on threads
    while the caller works on the current one (at most ahead + 1 results held)."""
    with ThreadPoolExecutor(max_workers=ahead) as pool:
        pending: deque = deque()
        for item in items:
            pending.append(pool.submit(read, item))
            if len(pending) > ahead:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def read_part(path: Path, columns: list[str] | None = None) -> pa.Table:
    """One part file (lighter than pq.read_table, which sets up a dataset per call)."""
    return pq.ParquetFile(path).read(columns=columns)


def sql_source(path: Path) -> str:
    path = Path(path)
    target = path / "part-*.parquet" if path.is_dir() else path
    return "read_parquet('" + str(target).replace("'", "''") + "')"


def _empty(name: str, columns: list[str] | None) -> pa.Table:
    schema = TABLES[name].schema
    return schema.empty_table() if columns is None else pa.schema([schema.field(c) for c in columns]).empty_table()


BUILDS_SUFFIX = ".builds"


def builds_dir(store: Path) -> Path:
    return store.with_name(store.name + BUILDS_SUFFIX)


def open_snapshot(store: Path) -> Snapshot:
    """Resolve the live build and check it is complete and of the current schema."""
    store = Path(store)
    if not store.exists():
        raise StoreError(f"no store at {store}: run `python -m analysis build --out {store}` first")
    real = store.resolve()
    try:
        seen = _identity(real / MANIFEST)
        manifest = json.loads((real / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise StoreError(f"store at {store} is incomplete or corrupt (manifest unreadable: {err})") from err
    if _BUILD_OK.get(real) == seen:  # this very manifest was checked, with every table
        return Snapshot(real, manifest)
    if not isinstance(manifest, dict):
        raise StoreError(f"store at {store} is incomplete or corrupt (manifest is not a JSON object)")
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise StoreError(
            f"store at {store} has schema version {manifest.get('schema_version')}, "
            f"this version reads {SCHEMA_VERSION}: rebuild it"
        )
    missing = [n for n in TABLES if not _is_table(real / f"{n}.parquet")]
    if missing:
        raise StoreError(f"store at {store} is incomplete: missing {', '.join(missing)}")
    for name in TABLES:
        _check_footer(store, real / f"{name}.parquet", name)
    if real.parent.name.endswith(BUILDS_SUFFIX):
        _BUILD_OK[real] = seen
    return Snapshot(real, manifest)


# Builds whose tables were all found whole, with their manifest's identity then. A build
# in `<store>.builds/` is never changed once written (the next build is a new folder), so
# opening it again (the app does on every click: ~2,800 part files to stat at 30,000
# reports, 20-25 ms) need not look at its tables again while its manifest is the same file.
_BUILD_OK: dict[Path, tuple[int, int, int]] = {}


def _identity(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return (st.st_size, st.st_mtime_ns, st.st_ino)


# Part files whose footer was read without error, with the (size, mtime, inode) seen then:
# the app opens the store on every click, and re-reading hundreds of footers each time
# cost more than the click's own work. A file that changed since is read again.
_FOOTER_OK: dict[Path, tuple[int, int, int]] = {}


def _check_footer(store: Path, path: Path, name: str) -> None:
    """Read each Parquet footer (a few KB): a damaged table is reported here, not as a traceback later."""
    for part in table_files(path):
        try:
            st = part.stat()
            seen = (st.st_size, st.st_mtime_ns, st.st_ino)
            if _FOOTER_OK.get(part) == seen:
                continue
            pq.read_metadata(part)
        except (OSError, pa.ArrowException) as err:
            _FOOTER_OK.pop(part, None)
            raise StoreError(f"store at {store} is corrupt: table {name} is unreadable ({type(err).__name__}); rebuild it") from err
        if len(_FOOTER_OK) > 100_000:  # bounded: many rebuilt stores in one long-lived process
            _FOOTER_OK.clear()
        _FOOTER_OK[part] = seen


def _is_table(path: Path) -> bool:
    return path.is_file() or (path.is_dir() and any(path.glob("part-*.parquet")))


@contextmanager
def build_lock(store: Path, *, wait: float = 0) -> Iterator[None]:
    """Hold the store's build lock; refuse clearly if another build holds it."""
    store = Path(store)
    store.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(store.with_name(store.name + ".lock")))
    try:
        lock.acquire(timeout=wait)
    except Timeout:
        raise StoreError(f"another build is writing to {store}; wait for it to finish (or pass --wait SECONDS)") from None
    try:
        yield
    finally:
        lock.release()


def new_build_dir(store: Path) -> Path:
    root = builds_dir(Path(store))
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6:06d}.tmp"
    path.mkdir()
    return path


def commit(store: Path, build: Path, manifest: dict) -> Path:
    """Write the manifest last, then point the store link at the finished build."""
    store = Path(store)
    (build / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    final = build.with_suffix("")
    build.rename(final)
    _adopt_plain_dir(store)
    link = store.with_name(f".{store.name}.link-{os.getpid()}")
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(os.path.relpath(final, store.parent))
    os.replace(link, store)  # the atomic step
    _prune(builds_dir(store), keep=final)
    return final


def _adopt_plain_dir(store: Path) -> None:
    """A store written by hand or copied as a plain folder is moved aside so the link can replace it."""
    if store.exists() and not store.is_symlink():
        shutil.move(str(store), str(builds_dir(store) / f"adopted-{time.strftime('%Y%m%dT%H%M%S')}"))


def start_pruning(store: Path) -> threading.Thread | None:
    """Delete, on a thread started now, the readers' copies (`DERIVED_DIR`) in the builds
    the commit of the build now starting will drop (failed ones, and the finished ones
    before the live one: after the commit the live one is the one before, `KEEP_BUILDS`).
    The app's copies are ~2 GB at 10,000 reports (partly shared by links), 0.06-0.36 s to
    unlink, which at the commit would be the last step of every rebuild; started first,
    it runs beside the listing and hashing of the inputs. The rest of those builds (~0.01 s
    to delete) is left to the commit: deleted here it competed with the build's own work.
    Chosen before the new build's folder exists. Join the thread before the commit."""
    copies = [d for d in (b / DERIVED_DIR for b in _superseded(Path(store))) if d.is_dir()]
    if not copies:
        return None
    thread = threading.Thread(target=_remove_all, args=(copies,), name="duibiao-prune")
    thread.start()
    return thread


def _superseded(store: Path) -> list[Path]:
    """The builds the next commit will drop (`_prune`): the failed ones, and the finished
    ones but the newest KEEP_BUILDS - 1, which stay beside the new build."""
    root = builds_dir(store)
    if not root.is_dir():
        return []
    finished = _finished(root)
    return finished[: max(0, len(finished) - (KEEP_BUILDS - 1))] + sorted(root.glob("*.tmp"))


def _remove_all(folders: list[Path]) -> None:
    lower_thread_priority(10)  # housekeeping: the build's own work goes first
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def lower_thread_priority(by: int) -> None:
    """Run the calling thread `by` niceness steps lower (Linux: a thread is a task of its
    own, with its own priority); elsewhere, or when not allowed, nothing changes."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), by)
    except (AttributeError, OSError):
        pass


def _committed_at(build: Path) -> float:
    """When `build` was committed: its manifest's modification time (written last, never
    touched after; the folder's own time moves when the app writes its copies into it).
    -inf for a folder without one (the oldest)."""
    try:
        return (build / MANIFEST).stat().st_mtime
    except OSError:
        return float("-inf")


def _finished(root: Path) -> list[Path]:
    """The finished builds in `root`, oldest first (by commit time)."""
    return sorted((p for p in root.iterdir() if p.is_dir() and p.suffix != ".tmp"), key=_committed_at)


def _prune(root: Path, *, keep: Path) -> None:
    """Drop failed (*.tmp) builds and all but the newest finished ones."""
    for old in _finished(root)[:-KEEP_BUILDS]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
    for tmp in root.glob("*.tmp"):
        if tmp != keep:
            shutil.rmtree(tmp, ignore_errors=True)


class PartWriter:
    """Writes the tables of one build in groups of whole input files (see the module doc).

    `add(tables)` buffers the Arrow tables of some files; once the buffer holds
    `group_bytes` of data it becomes the next group: one part file per table, every
    table written even when it got no rows, so part k of each table covers the same
    files. `link(parts)` adopts a finished group of an earlier build as the next group
    by hard link (copied where links are not possible). `close()` writes the last group
    and, when the whole build is one group, turns `<name>.parquet/part-00000.parquet`
    into a plain `<name>.parquet`.

    `defer(work)` holds `work` (calls of this writer) until `run_deferred()`, or else the
    next call: the caller can start something beside it first (a worker process), and
    the groups still come out in the order of the calls.
    """

    def __init__(self, build: Path, schemas: dict[str, pa.Schema], group_bytes: int = 32 << 20):
        self.build = Path(build)
        self.schemas = schemas
        self.group_bytes = group_bytes
        self.n_groups = 0
        self.groups_linked = 0
        self.linked: set[int] = set()  # numbers of the groups adopted by link()
        self._buffer: dict[str, list[pa.Table]] = {name: [] for name in schemas}
        self._buffered = 0
        self.deferred: Callable[[], None] | None = None
        for name in schemas:
            (self.build / f"{name}.parquet").mkdir()

    def defer(self, work: Callable[[], None]) -> None:
        self.run_deferred()
        self.deferred = work

    def run_deferred(self) -> None:
        work, self.deferred = self.deferred, None
        if work is not None:
            work()

    def add(self, tables: dict[str, pa.Table]) -> None:
        self.run_deferred()
        for name, table in tables.items():
            if table.num_rows:
                self._buffer[name].append(table)
                self._buffered += table.nbytes
        if self._buffered >= self.group_bytes:
            self.flush()

    def link(self, parts: dict[str, Path]) -> None:
        """Adopt a group of an earlier build: `parts` maps every table to its file."""
        self.flush()
        for name in self.schemas:
            _link_or_copy(parts[name], self._part(name, self.n_groups))
        self.linked.add(self.n_groups)
        self.n_groups += 1
        self.groups_linked += 1

    def flush(self) -> None:
        self.run_deferred()
        if not self._buffered and not any(self._buffer.values()):
            return
        def write(item: tuple[str, pa.Schema]) -> None:
            name, schema = item
            tables = self._buffer[name]
            table = pa.concat_tables(tables) if tables else schema.empty_table()
            _write_parquet(table, self._part(name, self.n_groups), schema, name)

        # On threads: pyarrow encodes and compresses without the GIL. The tables of a
        # group of copied rows (a small rebuild, beside a short analysis) are written on
        # both cores; a full build's driver shares them with the workers either way.
        map_parts(write, list(self.schemas.items()))
        for tables in self._buffer.values():
            tables.clear()
        self._buffered = 0
        self.n_groups += 1

    def close(self) -> None:
        self.flush()
        for name, schema in self.schemas.items():
            folder = self.build / f"{name}.parquet"
            if self.n_groups == 0:
                folder.rmdir()
                _write_parquet(schema.empty_table(), folder, schema, name)
            elif self.n_groups == 1:
                single = folder.with_name(folder.name + ".single")
                os.replace(self._part(name, 0), single)
                folder.rmdir()
                os.replace(single, folder)

    def _part(self, name: str, k: int) -> Path:
        return self.build / f"{name}.parquet" / f"part-{k:05d}.parquet"


# Tables whose text is read a few reports at a time (keyword in context, a theme's
# evidence, the reader): their row groups hold whole reports and about this much text,
# so such a read decodes the groups of those reports only, not the whole part.
REPORT_GROUPED = {"paragraphs"}
REPORT_GROUP_BYTES = 256 << 10
# Their text is also scanned whole, to count a term over the whole corpus (keyword in
# context): LZ4 (written as LZ4_RAW) decompresses several times faster than zstd, and
# such a scan of 10,000 reports took 0.53 s instead of 0.72-0.77 (the table 40 % larger:
# 360 MB against 257). The other tables: zstd.
LZ4_TABLES = REPORT_GROUPED
RUNNING_TEXT = {"text", "text_simplified", "sentence"}  # columns stored without a dictionary
# Tables stored without min/max statistics: one row per (report, term), every part holding
# all kinds of terms and report ids (content hashes, in no order), so no query can skip a
# row group by them; working them out was a quarter of writing these tables.
TERM_TABLES = {"term_counts", "_tf"}


def _write_parquet(table: pa.Table, path: Path, schema: pa.Schema, name: str = "") -> None:
    """Write `table` as stored table `name` (its row groups, compression and statistics
    as the sets above say)."""
    table = table.select(schema.names).cast(schema)
    # A generous dictionary page keeps repeated strings (terms, report ids) dictionary
    # encoded in big parts, which the TF-IDF step reads as codes. Running text is not
    # repeated (in a real corpus): a dictionary for it would be built and thrown away;
    # nor are its min/max statistics of any use (no query can skip a row group by them),
    # and working them out over every paragraph was a fifth of writing `paragraphs`.
    columns = [n for n in schema.names if n not in RUNNING_TEXT]
    options = dict(compression="lz4" if name in LZ4_TABLES else "zstd", dictionary_pagesize_limit=16 << 20,
                   use_dictionary=columns, write_statistics=False if name in TERM_TABLES else columns)
    if name not in REPORT_GROUPED or table.num_rows == 0:
        pq.write_table(table, path, row_group_size=1 << 20, **options)
        return
    with pq.ParquetWriter(path, schema, **options) as writer:
        for start, stop in report_groups(table["report_id"], table["text"], REPORT_GROUP_BYTES):
            writer.write_table(table.slice(start, stop - start), row_group_size=stop - start)


def report_groups(report_ids: pa.ChunkedArray, text: pa.ChunkedArray, group_bytes: int) -> list[tuple[int, int]]:
    """Row ranges [start, stop) of consecutive whole reports holding about `group_bytes`
    of text each (a report larger than that is a group of its own)."""
    ids = report_ids.to_numpy(zero_copy_only=False)
    size = np.cumsum(pc.binary_length(text).fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64)
    groups, start, base = [], 0, 0
    for end in run_starts(ids)[1:].tolist():
        if size[end - 1] - base >= group_bytes:
            groups.append((start, end))
            start, base = end, int(size[end - 1])
    groups.append((start, len(ids)))
    return groups


def run_starts(ids: np.ndarray) -> np.ndarray:
    """The first row of each run of equal values in `ids` (0 first; none when empty)."""
    if not len(ids):
        return np.zeros(0, np.int64)
    return np.concatenate([[0], np.flatnonzero(ids[1:] != ids[:-1]) + 1]).astype(np.int64)


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)
