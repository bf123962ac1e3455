"""Shared pytest setup: make the repo root importable so `import analysis` works
whether pytest is run as `pytest` or `python -m pytest`."""

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def load_test_module():
    """bench/load_test.py as a module: its server and browser helpers serve the browser
    and load tests too (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location("duibiao_load_test", ROOT / "bench" / "load_test.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def seed_lines() -> list[str]:
    """The non-empty lines of the seed reports, files in name order (raw text, not cleaned)."""
    return [line for path in sorted((ROOT / "seeds").glob("*.txt"))
            for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]
