"""dashboard.ui: what the tables hand to st.dataframe."""

from __future__ import annotations

import pandas as pd

from dashboard.ui import table_frame


def test_a_table_shows_empty_and_missing_categories_as_blank_cells():
    """st.dataframe shows an empty or missing category as "None": the shown rows are text."""
    df = pd.DataFrame({
        "indicator": ["新增融资到位", "招引", "项目"],
        "date": pd.Categorical(["", "2021", None]),
        "kind_label": pd.Categorical(["目标", "目标", "成绩"]),
        "value": [20.0, 50.0, 3.0],
    })
    shown = table_frame(df, {"indicator": "指标", "date": "报告日期", "value": "数值"})
    assert list(shown.columns) == ["指标", "报告日期", "数值"]
    assert shown["报告日期"].tolist() == ["", "2021", ""]
    assert not isinstance(shown["报告日期"].dtype, pd.CategoricalDtype)
    assert shown["数值"].tolist() == [20.0, 50.0, 3.0]
    assert isinstance(df["date"].dtype, pd.CategoricalDtype)  # the caller's frame is left as it was
