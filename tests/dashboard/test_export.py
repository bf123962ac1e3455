"""CSV with BOM and Excel downloads: Chinese intact, lists joined, no formula injection."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from openpyxl import load_workbook

from dashboard.export import EXCEL_CELL_MAX, TRUNCATED_MARK, to_csv_bytes, to_excel_bytes


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "区域": ["济宁高新区", "山亭区", None],
        "对标": [["潍坊高新区", "长沙高新区"], np.array(["东港区"], dtype=object), []],
        "数值": [30.0, np.nan, 2.5],
        "公式": ["=1+1", "-2", "@SUM(A1)"],
    })


def test_csv_has_bom_and_chinese():
    raw = to_csv_bytes(_frame())
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "济宁高新区" in text and "潍坊高新区、长沙高新区" in text and "东港区" in text
    back = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", keep_default_na=False)
    assert list(back.columns) == ["区域", "对标", "数值", "公式"]
    assert back.loc[0, "公式"] == "'=1+1" and back.loc[1, "公式"] == "'-2" and back.loc[2, "公式"] == "'@SUM(A1)"
    assert back.loc[2, "区域"] == ""


def test_excel_roundtrip_text_not_formula():
    raw = to_excel_bytes({"目标": _frame(), "bad/name?": pd.DataFrame({"a": [1]})})
    wb = load_workbook(io.BytesIO(raw))
    assert wb.sheetnames == ["目标", "bad_name_"]
    ws = wb["目标"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("区域", "对标", "数值", "公式")
    assert rows[1][0] == "济宁高新区" and rows[1][1] == "潍坊高新区、长沙高新区" and rows[1][2] == 30
    assert rows[1][3] == "=1+1" and ws.cell(row=2, column=4).data_type == "s"
    assert rows[2][2] in (None, "")


def test_excel_truncates_long_cells_and_strips_control_chars():
    df = pd.DataFrame({"text": ["字" * (EXCEL_CELL_MAX + 10), "a\x00b\x07c"]})
    wb = load_workbook(io.BytesIO(to_excel_bytes(df)))
    cells = [r[0] for r in wb.active.iter_rows(min_row=2, values_only=True)]
    assert len(cells[0]) == EXCEL_CELL_MAX and cells[0].endswith(TRUNCATED_MARK)
    assert cells[1] == "abc"


def test_empty_frame_still_a_workbook():
    wb = load_workbook(io.BytesIO(to_excel_bytes(pd.DataFrame({"a": []}))))
    assert wb.sheetnames == ["数据"]
    assert to_csv_bytes(pd.DataFrame({"a": []})).decode("utf-8-sig").strip() == "a"
