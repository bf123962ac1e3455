"""The on-disk store: `DIR/<table>.parquet` plus `DIR/manifest.json`, swapped in atomically.

`DIR` is a symbolic link to one complete build in `DIR.builds/<build-id>/`. A build
writes a new folder next to the old ones and then replaces the link in one
`os.replace`, so a reader sees either the old store or the new one, never a mix,
and a build that dies half-way leaves the old store as it was. A lock file stops two
builds from writing the same store at once.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.parquet as pq
from filelock import FileLock, Timeout

from analysis.schema import SCHEMA_VERSION, TABLES

MANIFEST = "manifest.json"
KEEP_BUILDS = 2  # the live build and the one before, for readers still holding it


class StoreError(Exception):
    """A store that is missing, locked, corrupt or of an older schema; the message says which."""


@dataclass(frozen=True)
class Snapshot:
    """One complete build, resolved once so every table read comes from the same build."""

    path: Path
    manifest: dict

    def table_path(self, name: str) -> Path:
        return self.path / f"{name}.parquet"

    def read(self, name: str, columns: list[str] | None = None) -> pa.Table:
        return pq.read_table(self.table_path(name), columns=columns)


def builds_dir(store: Path) -> Path:
    return store.with_name(store.name + ".builds")


def open_snapshot(store: Path) -> Snapshot:
    """Resolve the live build and check it is complete and of the current schema."""
    store = Path(store)
    if not store.exists():
        raise StoreError(f"no store at {store}: run `python -m analysis build --out {store}` first")
    real = store.resolve()
    try:
        manifest = json.loads((real / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise StoreError(f"store at {store} is incomplete or corrupt (manifest unreadable: {err})") from err
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise StoreError(
            f"store at {store} has schema version {manifest.get('schema_version')}, "
            f"this version reads {SCHEMA_VERSION}: rebuild it"
        )
    missing = [n for n in TABLES if not (real / f"{n}.parquet").is_file()]
    if missing:
        raise StoreError(f"store at {store} is incomplete: missing {', '.join(missing)}")
    return Snapshot(real, manifest)


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


def _prune(root: Path, *, keep: Path) -> None:
    """Drop failed (*.tmp) builds and all but the newest finished ones."""
    finished = sorted((p for p in root.iterdir() if p.is_dir() and p.suffix != ".tmp"), key=lambda p: p.stat().st_mtime)
    for old in finished[:-KEEP_BUILDS]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
    for tmp in root.glob("*.tmp"):
        if tmp != keep:
            shutil.rmtree(tmp, ignore_errors=True)


class TableWriter:
    """Streams rows of every table into Parquet files of one build, in batches."""

    def __init__(self, build: Path, batch_rows: int = 50_000):
        self.build = build
        self.batch_rows = batch_rows
        self._buffers: dict[str, list[dict]] = {name: [] for name in TABLES}
        self._writers: dict[str, pq.ParquetWriter] = {}

    def add(self, name: str, rows: list[dict]) -> None:
        buf = self._buffers[name]
        buf.extend(rows)
        if len(buf) >= self.batch_rows:
            self._flush(name)

    def add_table(self, name: str, table: pa.Table) -> None:
        self._flush(name)
        self._writer(name).write_table(table.select(TABLES[name].column_names).cast(TABLES[name].schema))

    def close(self) -> None:
        for name in TABLES:
            self._flush(name)
            self._writer(name).close()

    def _flush(self, name: str) -> None:
        buf = self._buffers[name]
        if buf:
            self._writer(name).write_table(pa.Table.from_pylist(buf, schema=TABLES[name].schema))
            buf.clear()

    def _writer(self, name: str) -> pq.ParquetWriter:
        if name not in self._writers:
            self._writers[name] = pq.ParquetWriter(self.build / f"{name}.parquet", TABLES[name].schema, compression="zstd")
        return self._writers[name]
