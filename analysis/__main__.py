"""Command line: `python -m analysis build [PATH ...] --out DIR` and `python -m analysis tables`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def main(argv: list[str] | None = None, *, standalone: bool = False) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis", description="Duibiao Lens: build tables from report files.")
    sub = parser.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="analyse report files into a store of Parquet tables")
    b.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the sample corpus in seeds/)")
    b.add_argument("--out", type=Path, default=Path("store"), help="store folder (default: ./store)")
    b.add_argument("--workers", type=int, default=None, help="worker processes (default: one per core)")
    b.add_argument("--engine", choices=["local", "dask"], default="local",
                   help="where files are analysed: local worker processes (default) or a Dask cluster")
    b.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default with --engine dask: "
                        "a local cluster of --workers processes)")
    b.add_argument("--tokenizer", choices=["rjieba", "jieba"], default="rjieba", help="segmentation engine (rjieba is faster, same tokens)")
    b.add_argument("--dict-dir", type=Path, default=None, help="folder with your own userdict.txt, stopwords.txt, themes.toml, districts.csv")
    b.add_argument("--max-mb", type=float, default=50, help="skip files larger than this many MB (default 50)")
    b.add_argument("--wait", type=float, default=0, help="seconds to wait for another build of the same store")
    b.add_argument("--rehash", action="store_true",
                   help="hash every file again, even those whose size and times are unchanged since the last build")
    b.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None, help="progress bar (default: when on a terminal)")

    t = sub.add_parser("tables", help="print the documentation of every output table (Markdown)")
    t.add_argument("--write", type=Path, default=None, help="write to this file instead of printing")

    args = parser.parse_args(argv)
    if standalone and args.command == "build" and args.engine == "local":
        _keep_pandas_out()
    return _build(args, parser) if args.command == "build" else _tables(args)


class _NoPandas:
    """An import hook under which `import pandas` fails as if it were not installed."""

    def find_spec(self, name, path=None, target=None):
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError("pandas is kept out of `python -m analysis build`", name=name)
        return None


def _keep_pandas_out() -> None:
    """pyarrow imports pandas, when installed, the first time it converts a Python list
    (to see whether it is a pandas object): ~0.15 s of every build process, a tenth of a
    one-file rebuild, for nothing - the build never uses pandas, and pyarrow without
    pandas is a configuration it supports. Only in the command's own process (its
    workers are forked from it) and with local workers: Dask's modules may want pandas."""
    if "pandas" not in sys.modules:
        sys.meta_path.insert(0, _NoPandas())


def _build(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from analysis.build import build
    from analysis.pipeline import Resources
    from analysis.segment import DICT_DIR
    from analysis.store import StoreError

    res = Resources(dict_dir=args.dict_dir or DICT_DIR, engine=args.tokenizer, max_bytes=int(args.max_mb * 1024 * 1024))
    try:
        if args.scheduler and args.engine != "dask":
            parser.error("--scheduler needs --engine dask")
        result = build(args.paths or [SEEDS], args.out, res=res, workers=args.workers, progress=args.progress, wait=args.wait,
                       engine=args.engine, scheduler=args.scheduler, rehash=args.rehash)
    except StoreError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"interrupted: the store at {args.out} is unchanged", file=sys.stderr)
        return 130
    print(result.summary())
    if result.n_files == 0:
        print("error: no report files found (supported: .txt .md .docx .pdf .html .htm)", file=sys.stderr)
        return 1
    return 0 if result.ok else 1


def _tables(args: argparse.Namespace) -> int:
    from analysis.schema import render_markdown

    text = render_markdown()
    if args.write:
        args.write.write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(standalone=True))
