"""Duibiao Lens analysis: report files in, Parquet tables out. Never imports streamlit."""

__version__ = "0.1.0"
