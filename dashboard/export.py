"""Downloads: CSV (UTF-8 with BOM, so Excel shows Chinese) and Excel workbooks. Pure functions.

Both guard against spreadsheet formula injection: a text cell that begins with
= + - @ (or a tab / carriage return) would be run as a formula by Excel, so CSV
cells get a leading apostrophe and Excel cells are written as plain strings.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

EXCEL_CELL_MAX = 32_767  # Excel's limit on characters in one cell
EXCEL_SHEET_NAME_MAX = 31
TRUNCATED_MARK = "…(已截断)"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Characters openpyxl refuses (XML 1.0 forbids them).
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _flatten(value: Any) -> Any:
    """Lists (benchmarks, evidence, reporters) become 、-joined text; NaN/None become empty."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple, set, frozenset)) or (hasattr(value, "tolist") and not isinstance(value, str) and getattr(value, "ndim", 0) > 0):
        items = value.tolist() if hasattr(value, "tolist") else list(value)
        return "、".join("" if v is None else str(v) for v in items)
    if isinstance(value, float) and math.isnan(value):
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return value


def _defuse(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def prepare(df: pd.DataFrame) -> pd.DataFrame:
    """A copy fit for export: list cells joined, missing values empty, column names as text."""
    out = df.copy()
    out.columns = [str(c) for c in out.columns]
    for col in out.columns:
        if _is_text_like(out[col]):
            out[col] = out[col].astype(object).map(_flatten)
    return out


def _is_text_like(s: pd.Series) -> bool:
    """Object, string (pandas 3 `str`) or Arrow list columns: everything but numbers, dates, booleans."""
    return not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_bool_dtype(s))


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV as UTF-8 with a byte-order mark (Excel then reads Chinese correctly)."""
    out = prepare(df)
    for col in out.columns:
        if _is_text_like(out[col]):
            out[col] = out[col].map(lambda v: _defuse(v) if isinstance(v, str) else v)
    return out.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def _sheet_name(name: str, used: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub("_", str(name)).strip("'") or "Sheet"
    base = base[:EXCEL_SHEET_NAME_MAX]
    candidate, k = base, 2
    while candidate.lower() in used:
        suffix = f"_{k}"
        candidate = base[: EXCEL_SHEET_NAME_MAX - len(suffix)] + suffix
        k += 1
    used.add(candidate.lower())
    return candidate


def _excel_value(value: Any) -> Any:
    value = _flatten(value)
    if isinstance(value, str):
        value = _ILLEGAL_XML.sub("", value)
        if len(value) > EXCEL_CELL_MAX:
            value = value[: EXCEL_CELL_MAX - len(TRUNCATED_MARK)] + TRUNCATED_MARK
        return value
    if isinstance(value, bool):
        return value
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def to_excel_bytes(tables: pd.DataFrame | Mapping[str, pd.DataFrame], sheet_name: str = "数据") -> bytes:
    """An .xlsx workbook with one sheet per table (a single frame gives one sheet).

    Text is written as text (never as a formula), cells longer than Excel allows
    are cut with a visible mark, the header row is bold and frozen.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    if isinstance(tables, pd.DataFrame):
        tables = {sheet_name: tables}
    wb = Workbook(write_only=True)
    used: set[str] = set()
    bold = Font(bold=True)
    for name, df in tables.items():
        ws = wb.create_sheet(_sheet_name(name, used))
        ws.freeze_panes = "A2"
        header = []
        for col in df.columns:
            cell = WriteOnlyCell(ws, value=_excel_value(str(col)))
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in df.itertuples(index=False, name=None):
            cells = []
            for value in row:
                v = _excel_value(value)
                cell = WriteOnlyCell(ws, value=v)
                if isinstance(v, str) and v.startswith("="):
                    cell.data_type = "s"  # text, not a formula
                cells.append(cell)
            ws.append(cells)
    if not used:
        wb.create_sheet(sheet_name)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
