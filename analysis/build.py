"""`python -m analysis build`: files in, a complete store out, or the old store untouched.

Steps: collect input files -> hash them -> reuse the rows of files whose content and
dictionaries are unchanged since the last build -> analyse the rest on an engine
(worker processes on this machine, or a Dask cluster; analysis/engines.py) -> stream
the rows into Parquet as the results come back -> corpus-wide tables (TF-IDF keywords,
analysis/corpus.py) -> swap the finished build in atomically.

Reuse works on groups of files (analysis/store.py, `PartWriter`): a group of the last
build whose files are all still there, unchanged and under the same names is
hard-linked into the new build as it is (unless it is small and there are new files
to join it, `_small`); the unchanged files of the other groups have their rows copied;
only new and changed files are analysed.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from analysis import corpus
from analysis.engines import (ChunkResult, InProcessEngine, Standby, Task, chunk_tasks, default_workers,
                              die_with_parent, make_engine, spool_in, spool_out)
from analysis.pipeline import FILE_TABLES, HIDDEN_TABLES, Resources, skipped_file_row, table_schema
from analysis.readers import SUPPORTED_SUFFIXES, display_name
from analysis.schema import SCHEMA_VERSION
from analysis.store import (MANIFEST, PartWriter, Snapshot, StoreError, build_lock, commit, new_build_dir,
                            open_snapshot, map_parts, read_part, start_pruning, table_files)

DEFAULT_STORE = Path("store")
TFIDF_TOP_K = 20
TFIDF_ALPHA = 0.5
# Input files' rows are grouped into part files of about this much Arrow data.
GROUP_BYTES = 32 << 20
# The per-file tables and the hidden ones, written group by group.
STORED = FILE_TABLES + list(HIDDEN_TABLES)


@dataclass(frozen=True)
class InputFile:
    path: Path
    source_file: str  # the name shown to users
    content_hash: str = ""
    problem: str = ""  # set when the path cannot be read at all
    size: int = 0


@dataclass
class BuildResult:
    store: Path
    n_files: int = 0
    n_reports: int = 0
    analysed: int = 0
    reused: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    engine: str = ""
    groups: int = 0
    groups_linked: int = 0
    keywords: dict = field(default_factory=dict)  # what the TF-IDF step did (corpus.write_keywords)

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
            for parts in files_under(root):
                name = parts[-1]
                if os.path.splitext(name)[1].lower() in SUPPORTED_SUFFIXES and not name.startswith("."):
                    found.append(InputFile(root.joinpath(*parts), f"{root.name}/{'/'.join(parts)}"))
        elif root.is_file():
            found.append(InputFile(root, root.name))
        else:
            found.append(InputFile(root, root.name, problem=f"{display_name(root.name)}: no such file or folder ({display_name(str(root))})"))
    return found


def files_under(root: Path) -> list[tuple[str, ...]]:
    """The files below `root` as tuples of path parts, in the order `sorted(root.rglob("*"))`
    gives them, with what `Path.is_file` keeps (symlinks to files, not to folders; no
    descent into linked folders). From `os.scandir`'s entries: at 10,000 files the Path
    objects and a stat per entry cost ~0.3 s, a sixth of a one-file rebuild."""
    found: list[tuple[str, ...]] = []
    folders: list[tuple[str, ...]] = [()]
    while folders:
        rel = folders.pop()
        try:
            entries = list(os.scandir(os.path.join(root, *rel)))
        except OSError:  # unreadable folder: rglob skips it too
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    folders.append(rel + (entry.name,))
                elif entry.is_file():
                    found.append(rel + (entry.name,))
            except OSError:
                continue
    found.sort()  # tuples of parts compare as Paths do
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
    engine: str = "local",
    scheduler=None,
    rehash: bool = False,
) -> BuildResult:
    """Build the store at `out` from `paths`. `engine` is "local" (worker processes,
    `workers` of them, default one per core) or "dask" (`scheduler`: an address or a
    distributed.Client; default a LocalCluster of `workers` processes). `rehash`: hash
    every file, even those whose size and times say they are unchanged (see `_hash_all`)."""
    started = time.perf_counter()
    res = res or Resources()
    out = Path(out)
    with build_lock(out, wait=wait):
        pruning = start_pruning(out)
        fingerprint = res.fingerprint()
        standby = _standby(out, fingerprint, res, engine, workers)
        try:
            inputs, stats = _hash_all(collect_inputs(paths), {} if rehash else _stat_cache(out))
            previous = _previous(out, fingerprint)
            build_dir = new_build_dir(out)
            try:
                result = _write_build(inputs, previous, build_dir, res, workers, progress, engine, scheduler, standby)
                pq.write_table(pa.Table.from_pylist(stats, schema=STAT_SCHEMA), build_dir / STAT_FILE)
                result.store = out
                if result.n_files == 0 or result.ok:
                    manifest = {
                        "schema_version": SCHEMA_VERSION,
                        "fingerprint": fingerprint,
                        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
                        "n_files": result.n_files,
                        "n_reports": result.n_reports,
                        "skipped": result.skipped,
                    }
                    if pruning is not None:
                        pruning.join()
                    commit(out, build_dir, manifest)
                else:
                    shutil.rmtree(build_dir, ignore_errors=True)
            except BaseException:
                shutil.rmtree(build_dir, ignore_errors=True)
                raise
        finally:
            if standby is not None:
                standby.close()
            if pruning is not None:
                pruning.join()
    result.seconds = time.perf_counter() - started
    return result


def _standby(out: Path, fingerprint: str, res: Resources, engine: str, workers: int | None) -> Standby | None:
    """A worker getting ready for a small rebuild (engines.Standby), when this may be one:
    the store has a build made with the same code and dictionaries to update, the files
    are analysed in local processes on Linux, and more than one core is allowed (the
    analysis runs beside the copy of reused rows)."""
    if engine != "local" or not sys.platform.startswith("linux") or default_workers(workers) <= 1:
        return None
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("fingerprint") != fingerprint:
        return None  # everything is analysed again, by the engine's workers
    return Standby(res)


# What the last build saw of each file (hidden `_stat.parquet` in a build): a file whose
# size, modification and change times, inode and device are all as they were is not read
# again to be hashed. Any write to a file moves its change time (ctime), which no tool
# can set back; a file changed less than RACY_NS before the last build looked at it is
# hashed again anyway, in case two writes fell within one tick of the file system's
# clock (the "racy" case git's index guards against the same way).
STAT_FILE = "_stat.parquet"
STAT_SCHEMA = pa.schema([
    ("path", pa.string()), ("size", pa.int64()), ("mtime_ns", pa.int64()), ("ctime_ns", pa.int64()),
    ("ino", pa.uint64()), ("dev", pa.uint64()), ("content_hash", pa.string()), ("seen_ns", pa.int64()),
])
RACY_NS = 2_000_000_000


def _stat_cache(out: Path) -> dict[str, tuple]:
    """path -> (size, mtime_ns, ctime_ns, ino, dev, content_hash, seen_ns) from the live build."""
    try:
        t = read_part(Path(out).resolve() / STAT_FILE).cast(STAT_SCHEMA)
    except (OSError, pa.ArrowException, ValueError):
        return {}
    cols = [t[c].to_pylist() for c in STAT_SCHEMA.names]
    return {row[0]: row[1:] for row in zip(*cols)}


def _hash_all(files: list[InputFile], cache: dict[str, tuple]) -> tuple[list[InputFile], list[dict]]:
    """The files with their content hashes, and what was seen of them (for the next build).

    One thread: report files are small, and two threads were measured slower (GIL
    hand-offs between 60 KB reads); sha256 runs at about 1 GB/s here, which at 10,000
    reports is the largest part of a rebuild with nothing to do - hence the cache.
    """
    now = time.time_ns()
    out, stats = [], []
    for f in files:
        if f.problem:
            out.append(f)
            continue
        try:
            st = os.stat(f.path)
            key = os.path.abspath(f.path)
            seen = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)
            old = cache.get(key)
            if old is not None and old[:5] == seen and st.st_ctime_ns < old[6] - RACY_NS:
                digest = old[5]
            else:
                digest = hash_file(f.path)
        except OSError as err:
            out.append(InputFile(f.path, f.source_file, problem=f"{display_name(f.source_file)}: cannot be read ({err.strerror or err})"))
            continue
        out.append(InputFile(f.path, f.source_file, digest, size=st.st_size))
        stats.append(dict(zip(STAT_SCHEMA.names, (key, *seen, digest, now))))
    return out, stats


def _previous(out: Path, fingerprint: str) -> Snapshot | None:
    """The last build, if its rows can be reused (same schema, dictionaries and layout)."""
    try:
        snap = open_snapshot(out)
    except StoreError:
        return None
    if snap.manifest.get("fingerprint") != fingerprint:
        return None
    if not all(snap.table_path(name).exists() for name in HIDDEN_TABLES):
        return None  # written before the hidden tables existed
    return snap


def _write_build(inputs, previous, build_dir, res, workers, progress, engine, scheduler, standby=None) -> BuildResult:
    result = BuildResult(store=build_dir)
    changes = None
    if previous is not None:  # what changed since, so that only the keywords it can move are recomputed
        changes = corpus.Changes(previous.table_path("keywords"), previous.path / "_df.parquet",
                                 int(previous.manifest.get("n_reports", -1)), previous.path / "_cand.parquet")
        changes.prefetch()
    writer = PartWriter(build_dir, {name: table_schema(name) for name in STORED}, GROUP_BYTES)
    groups = _groups(previous) if previous is not None else []
    reusable = _reusable(groups)
    seen: dict[str, str] = {}
    todo: list[InputFile] = []
    reuse: dict[str, str] = {}  # content hash -> source_file in this build
    skips = []
    for f in inputs:
        if f.problem:
            skips.append(_skip_row(result, f, f.problem, "skipped"))
        elif f.content_hash in seen:
            skips.append(_skip_row(result, f, f"{display_name(f.source_file)}: same content as {display_name(seen[f.content_hash])} (not counted twice)", "duplicate"))
        else:
            seen[f.content_hash] = f.source_file
            if f.content_hash in reusable:
                reuse[f.content_hash] = f.source_file
            else:
                todo.append(f)
    if skips:
        writer.add({"files": pa.Table.from_pylist(skips, schema=table_schema("files"))})
    if previous is not None:
        result.reused = len(reuse)
        _reuse_previous(previous, groups, reuse, writer, result, changes, merge_small=bool(todo))
    _analyse(todo, res, workers, progress, engine, scheduler, writer, result, changes, standby)
    writer.close()
    result.groups, result.groups_linked = writer.n_groups, writer.groups_linked
    if changes is not None:
        changes.linked_parts = set(writer.linked)
    result.keywords = _write_keywords(build_dir, result.n_reports, changes)
    return result


def _skip_row(result: BuildResult, f: InputFile, message: str, status: str) -> dict:
    result.n_files += 1
    result.skipped.append((f.source_file, message))
    return skipped_file_row(f.source_file, f.content_hash, f.size or _size(f.path), status, message)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


# --- analysis of new and changed files --------------------------------------------------------


def _analyse(todo, res, workers, progress, engine, scheduler, writer, result, changes=None, standby=None) -> None:
    if not todo:
        return
    tasks = [Task(f.path, f.source_file, f.content_hash, f.size) for f in todo]
    workers = default_workers(workers)  # the same count sizes the chunks and starts the workers
    chunks = chunk_tasks(tasks, workers)
    bar = _progress_bar(len(tasks), progress)
    try:
        eng = make_engine(engine, res, workers, len(chunks), scheduler, n_bytes=sum(t.size for t in tasks), spool=writer.build)
        if standby is not None and not _beside_copy(eng, workers, writer):  # the work is not for it
            standby.close()
            standby = None
        if standby is None:
            res.load()  # dictionaries read once here, shipped to the workers with the object
        with eng:
            result.engine = eng.name
            if eng.ships_bytes:
                chunks = ([Task(t.path, t.source_file, t.content_hash, t.size, _read_or_none(t.path)) for t in c] for c in chunks)
            for chunk in _run(eng, chunks, workers, writer, standby):
                _record(chunk, writer, result)
                if changes is not None and "_tf" in chunk.tables:
                    changes.note(chunk.tables["_tf"], added=True)
                bar.update(len(chunk.files))
    finally:
        bar.close()


def _progress_bar(total: int, progress: bool | None):
    """tqdm's bar on stderr when `progress` (None: unless stderr is not a terminal, as with
    tqdm's disable=None). tqdm is imported only then: ~20 ms of every build otherwise."""
    if progress is None:
        progress = getattr(sys.stderr, "isatty", lambda: True)()
    if not progress:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit="file", desc="analysing", file=sys.stderr)


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _run(eng, chunks: list[list[Task]], workers: int, writer: PartWriter, standby: Standby | None = None) -> Iterable[ChunkResult]:
    """`eng.run(chunks)`; in-process work, when rows of reused files are still to copy
    (the writer's deferred work, `_reuse_previous`) and more than one worker is allowed,
    in another process while this one copies (on Linux, where forking is safe and cheap)."""
    if _beside_copy(eng, workers, writer):
        return _run_beside_copy(eng, chunks, writer, standby)
    return eng.run(chunks)


def _beside_copy(eng, workers: int, writer: PartWriter) -> bool:
    return isinstance(eng, InProcessEngine) and workers > 1 and writer.deferred is not None and sys.platform.startswith("linux")


def _run_beside_copy(eng: InProcessEngine, chunks: list[list[Task]], writer: PartWriter, standby: Standby | None = None) -> list[ChunkResult]:
    """A small incremental build's two jobs on two cores: the analysis (pure Python) and
    the copy of reused rows (Parquet reads and writes): ~0.3 s each for one changed file.
    In the standby process when there is one (its tokenizer is built already: ~0.2 s
    off this path), else in a process forked now. Not on a thread: a thread copying
    stalls on the GIL, which building the tokenizer holds for 0.1 s at a time, and gained
    nothing when measured. The rows come out in the same order: the copy first, then the
    chunks."""
    if standby is not None:
        try:
            futures = [standby.submit(c, writer.build) for c in chunks]
        except BrokenProcessPool:
            futures = []
        writer.run_deferred()
        try:
            if futures:
                return [spool_in(f.result()) for f in futures]
        except BrokenProcessPool:
            pass
        return list(eng.run(chunks))  # it died getting ready (a dictionary it could not read): here, then
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        future = pool.submit(_analyse_spooled, eng, chunks, writer.build)
        writer.run_deferred()
        return [spool_in(r) for r in future.result()]


def _analyse_spooled(eng: InProcessEngine, chunks: list[list[Task]], spool: Path) -> list[ChunkResult]:
    die_with_parent()  # as the engines' workers: a killed build leaves no child behind
    return [spool_out(r, spool) for r in eng.run(chunks)]


def _read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None  # the worker reports it as unreadable


def _record(chunk: ChunkResult, writer: PartWriter, result: BuildResult) -> None:
    for source_file, status, message, n_reports in chunk.files:
        result.n_files += 1
        result.n_reports += n_reports
        result.analysed += 1
        if status != "ok":
            result.skipped.append((source_file, message))
    writer.add(chunk.tables)


# --- reuse of unchanged files ---------------------------------------------------------------------


_FILE_COLUMNS = ["source_file", "content_hash", "status", "n_reports", "size_bytes"]
# A group of the last build holding less input than GROUP_BYTES / 16 (its tables about a
# quarter of a full group: Arrow data is ~4-5 times a text file's size) is copied, not
# linked, so that its rows join the next group: each one-file rebuild leaves the changed
# file's rows in a small group of their own at the end, and linking those would add a
# part file to every table per edit for ever (more files for the app and every later
# build to open). Copying it costs little, beside the analysis of the changed file.
def _small(files: pa.Table) -> bool:
    return sum(files["size_bytes"].to_pylist()) < GROUP_BYTES // 16


def _groups(previous: Snapshot) -> list[tuple[dict[str, Path], pa.Table]]:
    """The groups of the previous build: (table -> its part file, the group's `files` rows).
    A build whose tables are not split the same way (PartWriter never writes one) has no
    groups to reuse: everything is analysed again."""
    parts = {name: table_files(previous.table_path(name)) for name in STORED}
    n = len(parts["files"])
    if any(len(p) != n for p in parts.values()):
        return []
    files = map_parts(lambda path: read_part(path, _FILE_COLUMNS), parts["files"])  # ~100 small reads, on threads
    return [({name: parts[name][k] for name in STORED}, files[k]) for k in range(n)]


def _reusable(groups: list[tuple[dict[str, Path], pa.Table]]) -> set[str]:
    ok = set()
    for _, files in groups:
        ok.update(h for h, status in zip(files["content_hash"].to_pylist(), files["status"].to_pylist()) if status == "ok")
    return ok


def _reuse_previous(previous: Snapshot, groups: list, reuse: dict[str, str], writer: PartWriter, result: BuildResult,
                    changes: corpus.Changes | None = None, *, merge_small: bool = False) -> None:
    """Link the previous build's groups whose files are all reused under the same names;
    copy the rows of the other reused files (with their new names) group by group, and
    note the reports of the other files as gone (`changes`). With `merge_small` (files
    are to be analysed), small groups (`_small`) are copied last, together, so that
    their rows and the new files' after them make one group; without, a build with
    nothing new links them as they are.

    With rows to copy, the writer's work is deferred (`PartWriter.defer`) until its next
    call, so that a small analysis can run beside it (`_run`); links alone are done now."""
    left = dict(reuse)
    steps, small = [], []  # (group, its files rows, {hash: new name} of its rows to copy, or None to link it)
    for group, files in groups:
        names = dict(zip(files["content_hash"].to_pylist(), files["source_file"].to_pylist()))
        statuses = set(files["status"].to_pylist())
        if merge_small and _small(files):
            small.append((group, files, {h: left.pop(h) for h in names if h in left}))
        elif files.num_rows and statuses == {"ok"} and len(names) == files.num_rows and all(left.get(h) == n for h, n in names.items()):
            for h in names:
                del left[h]
            steps.append((group, files, None))
        else:
            steps.append((group, files, {h: left.pop(h) for h in names if h in left}))
    steps += small
    if any(mine is not None for _, _, mine in steps):
        writer.defer(lambda: _reuse_groups(steps, writer, result, changes))
    else:
        _reuse_groups(steps, writer, result, changes)


def _reuse_groups(steps: list, writer: PartWriter, result: BuildResult, changes: corpus.Changes | None) -> None:
    for group, files, mine in steps:
        if mine is None:
            writer.link(group)
            result.n_files += files.num_rows
            result.n_reports += sum(files["n_reports"].to_pylist())
        else:
            _copy_group(group, mine, writer, result, changes)


def _copy_group(group: dict[str, Path], reuse: dict[str, str], writer: PartWriter, result: BuildResult,
                changes: corpus.Changes | None = None) -> None:
    prefixes = pa.array(sorted(h[:12] for h in reuse), pa.string())
    new_name = {h[:12]: name for h, name in reuse.items()}

    def kept(name: str) -> tuple[pa.Table, pa.Table | None]:
        """(the rows of the reused files, renamed; for `_tf`, the rows of the others)."""
        key = "content_hash" if name == "files" else "report_id"
        t = read_part(group[name])
        mask = pc.is_in(pc.utf8_slice_codeunits(t[key], 0, 12), value_set=prefixes)
        mine, gone = _rows_where(t, mask), (_rows_where(t, pc.invert(mask)) if name == "_tf" else None)
        if mine.num_rows and "source_file" in mine.column_names:
            renamed = pa.array([new_name[p] for p in pc.utf8_slice_codeunits(mine[key], 0, 12).to_pylist()], pa.string())
            mine = mine.set_column(mine.column_names.index("source_file"), "source_file", renamed)
        return mine, gone

    names = [name for name in STORED if reuse or name == "_tf"]  # no reuse: only the gone reports' terms to note
    # On threads, one table each: pyarrow decodes and filters without the GIL.
    tables = dict(zip(names, map_parts(kept, names)))
    if changes is not None:
        changes.note(tables["_tf"][1], added=False)
    if reuse:
        result.n_reports += tables["reports"][0].num_rows
        result.n_files += tables["files"][0].num_rows
        writer.add({name: mine for name, (mine, _) in tables.items()})


def _rows_where(t: pa.Table, mask: pa.ChunkedArray) -> pa.Table:
    """`t.filter(mask)` as slices of `t`, without copying: a file's rows are consecutive,
    so the rows kept in a copied group are a few runs (a group's paragraphs hold ~10 MB
    of text, which a filter copied)."""
    keep = mask.to_numpy(zero_copy_only=False)
    edges = np.flatnonzero(np.diff(keep.astype(np.int8), prepend=0, append=0))
    runs = [t.slice(a, b - a) for a, b in zip(edges[::2].tolist(), edges[1::2].tolist())]
    return pa.concat_tables(runs) if runs else t.slice(0, 0)


# --- corpus-wide tables -------------------------------------------------------------------------------


def _write_keywords(build_dir: Path, n_reports: int, changes: corpus.Changes | None = None) -> dict:
    """TF-IDF over the whole corpus from the hidden `_tf` parts, merged with the TextRank rows."""
    return corpus.write_keywords(
        table_files(build_dir / "_tf.parquet"),
        table_files(build_dir / "_textrank.parquet"),
        n_reports,
        build_dir / "keywords.parquet",
        alpha=TFIDF_ALPHA,
        top_k=TFIDF_TOP_K,
        changes=changes,
        df_out=build_dir / "_df.parquet",
        cand_out=build_dir / "_cand.parquet",
    )
