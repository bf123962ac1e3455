"""Where the per-file analysis runs: in this process, in local worker processes, or on Dask.

The unit of work is `pipeline.analyse_file_columns` on one file; files are sent in
chunks (a few MB of input each) so that small files do not cost one round trip each,
and a chunk's files are analysed together (`pipeline.analyse_files_columns`).
Every engine returns the chunks' results in input order, with at most `window` chunks
submitted ahead of the one the driver is waiting for: the driver never holds more than
those results, however large the corpus (`ProcessPoolExecutor.map` would submit every
file at once and keep all results that finish early).

- `InProcessEngine`: no workers (one worker asked for, or a single chunk of work).
- `LocalEngine`: a `ProcessPoolExecutor`; each worker process gets the loaded
  `Resources` once, at start-up.
- `DaskEngine`: a dask.distributed cluster, `--scheduler ADDRESS` or a `LocalCluster`
  started for the build. The `Resources` are scattered to every worker once; the
  driver reads each file (it hashes it anyway) and sends its bytes, so workers need
  the code and its requirements but no access to the input files or the store.
"""

from __future__ import annotations

import ctypes
import gc
import os
import signal
import sys
import tempfile
from collections import deque
from contextlib import contextmanager
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from importlib import import_module
from itertools import islice
from pathlib import Path
from typing import Callable, Iterable, Iterator

import pyarrow as pa

from analysis.keywords import load_sparse_kernels
from analysis.readers import display_name
from analysis.pipeline import Resources, analyse_files_columns, extend_columns, skipped_file_row, to_tables

ENGINES = ("local", "dask")
CHUNK_BYTES = 2 << 20  # input bytes per unit sent to a worker
CHUNK_FILES = 64


@dataclass(frozen=True)
class Task:
    path: Path
    source_file: str
    content_hash: str
    size: int
    data: bytes | None = None  # sent along when workers cannot read the path


@dataclass
class ChunkResult:
    """The tables of a chunk of files (rows in file order) and one summary per file."""

    tables: dict[str, pa.Table]
    files: list[tuple[str, str, str, int]] = field(default_factory=list)  # (source_file, status, message, n_reports)
    # Instead of `tables`: (file, [(table, offset, size)]), the tables as Arrow IPC streams (spool_out)
    spooled: tuple[str, list[tuple[str, int, int]]] | None = None


def analyse_chunk(tasks: list[Task], res: Resources) -> ChunkResult:
    # The files are analysed together (analyse_files_columns: each step on all of them
    # before the next, ~17 % less CPU than file by file); one that cannot be read gets
    # its `files` row in its place.
    datas = [_read(t) for t in tasks]
    analysed = iter(analyse_files_columns(((d, t.source_file, t.content_hash) for t, d in zip(tasks, datas)
                                           if isinstance(d, bytes)), res))
    columns: dict[str, dict[str, list]] = {}
    files = []
    for t, data in zip(tasks, datas):
        mine = next(analysed) if isinstance(data, bytes) else data
        extend_columns(columns, mine)
        f = mine["files"]
        files.append((t.source_file, f["status"][0], f["message"][0], f["n_reports"][0]))
    return ChunkResult(to_tables(columns), files)


def _read(t: Task) -> bytes | dict[str, dict[str, list]]:
    """The task's bytes, or the columns of its `files` row when it cannot be read."""
    try:
        return t.data if t.data is not None else t.path.read_bytes()
    except OSError as err:  # gone or unreadable since it was hashed
        row = skipped_file_row(t.source_file, t.content_hash, t.size, "skipped",
                               f"{display_name(t.source_file)}: cannot be read ({err.strerror or err})")
        return {"files": {k: [v] for k, v in row.items()}}


def chunk_tasks(tasks: list[Task], workers: int) -> list[list[Task]]:
    """Consecutive tasks in chunks of at most CHUNK_BYTES / CHUNK_FILES, and small enough
    that every worker gets several chunks (a small corpus is not one worker's job)."""
    total = sum(t.size for t in tasks)
    limit = max(1, min(CHUNK_BYTES, total // max(1, workers * 4)))
    chunks, current, size = [], [], 0
    for t in tasks:
        if current and (size + t.size > limit or len(current) >= CHUNK_FILES):
            chunks.append(current)
            current, size = [], 0
        current.append(t)
        size += t.size
    if current:
        chunks.append(current)
    return chunks


def ordered_window(submit: Callable, chunks: Iterable, window: int) -> Iterator:
    """Results of submit(chunk).result() in chunk order, at most `window` submitted ahead."""
    it = iter(chunks)
    pending = deque(submit(c) for c in islice(it, window))
    while pending:
        future = pending.popleft()
        result = future.result()
        nxt = next(it, None)
        if nxt is not None:
            pending.append(submit(nxt))  # keep the workers busy while the driver writes
        yield result


# The analysis allocates millions of small tuples (tokens) that live for one file: with
# the default thresholds the cyclic garbage collector keeps re-scanning them. Rarer
# collections (and the long-lived objects frozen out of them) save about 5 % of the time.
GC_THRESHOLD = (50_000, 20, 100)


@contextmanager
def _rare_gc():
    before = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)


class InProcessEngine:
    name = "in-process"
    ships_bytes = False

    def __init__(self, res: Resources):
        self.res = res

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def run(self, chunks: Iterable[list[Task]]) -> Iterator[ChunkResult]:
        for chunk in chunks:
            with _rare_gc():
                result = analyse_chunk(chunk, self.res)
            yield result


_WORKER_RES: Resources | None = None


def die_with_parent() -> None:
    """A worker whose build was killed (kill -9, the OOM killer) must not live on, idle, holding memory.

    On Linux the kernel delivers SIGKILL when the parent dies (prctl PR_SET_PDEATHSIG);
    elsewhere nothing is done, and a lost parent only leaves idle workers.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def _init_worker(res: Resources) -> None:
    _init_standby(res)
    _load_kernels()  # inherited when forked from the driver; loaded here otherwise
    gc.freeze()  # what a worker keeps for good (modules, dictionaries) is never scanned again
    gc.set_threshold(*GC_THRESHOLD)


def _init_standby(res: Resources) -> None:
    """What every worker does first (a standby only this: its work is small, see Standby)."""
    global _WORKER_RES
    die_with_parent()
    _WORKER_RES = res.load()
    _ = _WORKER_RES.segmenter.tag("预热")  # the tokenizer is built now, not in the first task
    import_module("analysis.targets")  # and the target patterns compiled (see pipeline.target_columns)


class Standby:
    """One worker forked before the build knows its work, reading the dictionaries and
    building the tokenizer (~0.2 s) while the driver lists, hashes and checks the inputs:
    the analysis of a small rebuild (build._run_beside_copy) then starts at once. Linux
    only (forked); closed, used or not, when the build knows it has other work."""

    def __init__(self, res: Resources):
        import multiprocessing

        self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"),
                                         initializer=_init_standby, initargs=(res,))
        self.ready = self._pool.submit(int)  # the pool forks its process on the first submit: now

    def submit(self, chunk: list[Task], spool: Path):
        """The future of `_worker_chunk(chunk, spool)` in the standby process."""
        return self._pool.submit(_worker_chunk, chunk, spool)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _load_kernels() -> None:
    """TextRank's scipy kernels (keywords.load_sparse_kernels), loaded for a large job;
    returns nothing, so that Dask has nothing to send back."""
    load_sparse_kernels()


def _worker_chunk(chunk: list[Task], spool: Path | None = None) -> ChunkResult:
    result = analyse_chunk(chunk, _WORKER_RES)
    if spool is not None:
        result = spool_out(result, spool)
    return result


def spool_out(result: ChunkResult, spool: Path) -> ChunkResult:
    """`result` with its tables written to one Arrow IPC file in `spool`, which the driver
    maps (spool_in). Pickling the tables (five times the input's size) through the pool's
    pipe copied every buffer three times: ~2.5 % of the build's CPU."""
    fd, name = tempfile.mkstemp(suffix=".arrows", dir=spool)
    index = []
    with os.fdopen(fd, "wb") as f:
        for table_name, table in result.tables.items():
            start = f.tell()
            with pa.ipc.new_stream(f, table.schema) as writer:
                writer.write_table(table)
            index.append((table_name, start, f.tell() - start))
    return ChunkResult({}, result.files, spooled=(name, index))


def spool_in(result: ChunkResult) -> ChunkResult:
    """The tables of a spooled `result`, read from its file without a copy (the file is
    removed at once; its mapping lives as long as the tables do)."""
    if result.spooled is None:
        return result
    name, index = result.spooled
    with pa.memory_map(name) as source:
        buffer = source.read_buffer()
    os.unlink(name)
    tables = {t: pa.ipc.open_stream(buffer.slice(start, size)).read_all() for t, start, size in index}
    return ChunkResult(tables, result.files)


class LocalEngine:
    name = "local"
    ships_bytes = False

    def __init__(self, res: Resources, workers: int, spool: Path | None = None):
        self.res, self.workers, self.spool = res, workers, spool
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self):
        self._pool = ProcessPoolExecutor(self.workers, initializer=_init_worker, initargs=(self.res,))
        return self

    def __exit__(self, *exc):
        self._pool.shutdown(wait=True, cancel_futures=True)
        return False

    def run(self, chunks: Iterable[list[Task]]) -> Iterator[ChunkResult]:
        submit = lambda c: self._pool.submit(_worker_chunk, c, self.spool)  # noqa: E731
        for result in ordered_window(submit, chunks, self.workers * 3):
            yield spool_in(result)


class DaskEngine:
    """dask.distributed: `scheduler` is an address (tcp://host:8786), a Client, or None for
    a LocalCluster of `workers` single-threaded worker processes started for the build."""

    name = "dask"
    ships_bytes = True

    def __init__(self, res: Resources, workers: int, scheduler=None):
        self.res, self.workers, self.scheduler = res, workers, scheduler
        self._client = self._cluster = None
        self._own_client = False

    def __enter__(self):
        try:
            from distributed import Client, LocalCluster
        except ImportError as err:  # pragma: no cover - dask is in requirements.txt
            raise RuntimeError("--engine dask needs the dask and distributed packages (pip install dask distributed)") from err
        if self.scheduler is None:
            self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                         dashboard_address=None, silence_logs=40)
            self._client, self._own_client = Client(self._cluster), True
        elif isinstance(self.scheduler, str):
            self._client, self._own_client = Client(self.scheduler), True
        else:
            self._client = self.scheduler
        n = len(self._client.scheduler_info().get("workers", {})) or 1
        self.workers = n
        self._res = self._client.scatter(self.res, broadcast=True)
        self._client.run(_load_kernels)
        return self

    def __exit__(self, *exc):
        if self._own_client:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        return False

    def run(self, chunks: Iterable[list[Task]]) -> Iterator[ChunkResult]:
        def submit(chunk):
            return self._client.submit(analyse_chunk, chunk, self._res, pure=False)

        yield from ordered_window(submit, chunks, max(2, self.workers * 3))


# Less input than this is analysed in the build's own process: starting worker processes
# (and their tokenizers) costs more than the work, as in a typical incremental build.
IN_PROCESS_BYTES = 1 << 20


def default_workers(workers: int | None) -> int:
    """`workers`, or one per core (at most 8) when not given."""
    return workers or min(os.cpu_count() or 1, 8)


def make_engine(kind: str, res: Resources, workers: int, n_chunks: int, scheduler=None, n_bytes: int | None = None,
                spool: Path | None = None):
    """The engine for `kind` ("local" or "dask"); local work that fits one worker runs in process."""
    if kind == "dask":
        return DaskEngine(res, workers, scheduler)
    if kind != "local":
        raise ValueError(f"unknown engine {kind!r}; use one of {ENGINES}")
    small = n_bytes is not None and n_bytes < IN_PROCESS_BYTES
    if not small:
        _load_kernels()  # here, or in the workers forked from here
    if workers <= 1 or n_chunks <= 1 or small:
        return InProcessEngine(res)
    return LocalEngine(res, min(workers, n_chunks), spool)
