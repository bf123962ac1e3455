"""Uncompressed copies of what the app holds in bulk, memory-mapped from beside the store.

The term counts (as CSR arrays, `term_index.TermIndex`), the targets and the themed
paragraphs are what the app holds that grows with the corpus: at 10,000 reports 18
million term cells, 1.2 million targets with their sentences and 600,000 themed
paragraphs with their evidence, ~1 GB decoded from Parquet into the server's own
memory, and read again at every start. The first server to read a build saves them
once, uncompressed (`.npy` arrays, Arrow IPC tables), in
`<build>/_mapped/<name>-<code version>/`; every later start maps those files instead of
reading the Parquet. Mapped pages belong to the file system cache, not to the process: they are
shared by every server on the machine, read from disk only when a click touches them,
and dropped under memory pressure rather than swapped, so a store larger than memory
still serves (slower, from disk) where the decoded copy would not fit.

A build's folder never changes once written (a new build is a new folder), so a copy
is valid for as long as its folder exists and the code that made it is the same: a
copy's folder is named with a digest of the modules that derive it (`CODE_VERSION`),
and one of another version is replaced. A copy is written to a temporary folder and
renamed into place: a reader sees a whole copy or none, and of two servers saving at
once one keeps its copy and the other maps it. Where the copy cannot be written (a
read-only store, a full disk), the app keeps what it decoded in its own memory, as
before, and says why in the log; a copy that cannot be read (damaged) is written again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa

from analysis.store import BUILDS_SUFFIX, DERIVED_DIR

__all__ = ["MAPPED_DIR", "Mapped", "earlier_copies", "mapped", "mapped_folder", "mapped_written"]

MAPPED_DIR = DERIVED_DIR  # named by the store, which deletes these first when it drops a build
_TABLE = ".arrow"
_ARRAY = ".npy"
log = logging.getLogger(__name__)

# What a copy holds: named numpy arrays (saved as .npy) and named Arrow tables (IPC files).
Mapped = dict[str, "np.ndarray | pa.Table"]


# The modules whose code decides what a copy holds (the CSR layout of the term counts,
# which columns are read): an upgrade that edits any of them writes the copies anew.
_DERIVED_BY = ("corpus.py", "term_index.py", "mapped.py", "char_index.py")


def _code_version() -> str:
    digest = hashlib.sha256()
    for name in _DERIVED_BY:
        digest.update((Path(__file__).with_name(name)).read_bytes())
    return digest.hexdigest()[:12]


CODE_VERSION = _code_version()


def mapped_folder(build: Path, name: str) -> Path:
    return Path(build) / MAPPED_DIR / f"{name}-{CODE_VERSION}"


def mapped(build: Path | None, name: str, make: Callable[[], Mapped], keys: set[str]) -> Mapped:
    """The arrays and tables `make()` returns (named `keys`), memory-mapped from the copy
    `name` in `build` (written from `make()` the first time). `build` None: `make()`."""
    if build is None:
        return make()
    folder = mapped_folder(build, name)
    if folder.is_dir():
        try:
            loaded = _load(folder)
            if set(loaded) != keys:
                raise ValueError(f"holds {sorted(loaded)}, not {sorted(keys)}")
            return loaded
        except (OSError, ValueError, pa.ArrowException) as err:
            log.warning("%s: the mapped copy cannot be read (%s); writing it again from the store", folder, err)
            shutil.rmtree(folder, ignore_errors=True)
    made = make()
    try:
        _save(folder, made)
        _remove_other_versions(folder, name)
        return _load(folder)
    except (OSError, ValueError, pa.ArrowException) as err:
        log.warning("%s: no mapped copy (%s); held in memory", folder, err)
        return made


def mapped_written(build: Path, name: str, write: Callable[[Path], None]) -> Mapped | None:
    """The arrays `write(folder)` saves there as `.npy` files (keyed by file stem),
    memory-mapped from the copy `name` in `build` (written the first time): for a copy
    too large to hold whole while writing it. None when it cannot be written or read."""
    folder = mapped_folder(build, name)
    try:
        if not folder.is_dir():
            _publish(folder, write)
            _remove_other_versions(folder, name)
        return _load(folder)
    except (OSError, ValueError) as err:
        log.warning("%s: no mapped copy (%s)", folder, err)
        shutil.rmtree(folder, ignore_errors=True)
        return None


def earlier_copies(build: Path, name: str) -> list[Path]:
    """The copies `name` of this code version in the store's other builds (the folders
    beside `build` in `<store>.builds/`), newest first."""
    builds = Path(build).parent
    if not builds.name.endswith(BUILDS_SUFFIX):
        return []
    others = sorted((b for b in builds.iterdir() if b.name != Path(build).name), key=lambda b: b.name, reverse=True)
    return [f for f in (mapped_folder(b, name) for b in others) if f.is_dir()]


def _save(folder: Path, items: Mapped) -> None:
    _publish(folder, lambda tmp: _write(tmp, items))


def _write(tmp: Path, items: Mapped) -> None:
    for key, value in items.items():
        if isinstance(value, pa.Table):
            with pa.OSFile(str(tmp / f"{key}{_TABLE}"), "wb") as sink, pa.ipc.new_file(sink, value.schema) as writer:
                writer.write_table(value)
        else:
            np.save(tmp / f"{key}{_ARRAY}", np.ascontiguousarray(value), allow_pickle=False)


def _publish(folder: Path, write: Callable[[Path], None]) -> None:
    """`write(tmp)` into a temporary folder beside `folder`, renamed to it when whole."""
    folder.parent.mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        write(tmp)
        try:
            os.rename(tmp, folder)
        except OSError:
            if not folder.is_dir():  # not another server's copy saved first: a real failure
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _remove_other_versions(folder: Path, name: str) -> None:
    """Copies of `name` made by other code versions (a server still mapping one keeps
    its pages: the files go when it unmaps them)."""
    for other in folder.parent.glob(f"{name}-*"):
        if other != folder and other.is_dir() and other.name.rsplit("-", 1)[0] == name:
            shutil.rmtree(other, ignore_errors=True)


def _load(folder: Path) -> Mapped:
    out: Mapped = {}
    for path in sorted(folder.iterdir()):
        key = path.name[: -len(path.suffix)]
        if path.suffix == _ARRAY:
            out[key] = np.asarray(np.load(path, mmap_mode="r", allow_pickle=False))  # a plain read-only view
        elif path.suffix == _TABLE:
            out[key] = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
    return out
