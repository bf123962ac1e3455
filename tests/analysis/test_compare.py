"""Group comparison: Fightin' Words log-odds, frequency difference, theme shares."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.compare import (
    CountMatrix,
    compare_groups,
    frequency_difference,
    log_odds_dirichlet,
    prepare_counts,
    theme_shares,
)

# Two districts, ten content terms each:
#            产业  人才  乡村  项目   n
#   甲 (A)     6     2     0     2   10
#   乙 (B)     1     2     5     2   10
A = pd.Series({"产业": 6, "人才": 2, "项目": 2})
B = pd.Series({"产业": 1, "人才": 2, "乡村": 5, "项目": 2})


def test_log_odds_by_hand_with_the_default_prior():
    # Prior = A + B = 产业 7, 人才 4, 乡村 5, 项目 4 (sum 20), scaled to a_0 = 1.0 * min(10, 10) = 10:
    # alpha = 产业 3.5, 人才 2, 乡村 2.5, 项目 2.
    # 产业: delta = log(9.5 / (10 + 10 - 6 - 3.5)) - log(4.5 / (10 + 10 - 1 - 3.5))
    #             = log(9.5 / 10.5) - log(4.5 / 15.5) = -0.10008 + 1.23676 = 1.13668
    #       z = 1.13668 / sqrt(1/9.5 + 1/4.5) = 1.13668 / 0.57226 = 1.98629
    # 乡村: delta = log(2.5 / 17.5) - log(7.5 / 12.5) = -1.94591 + 0.51083 = -1.43508
    #       z = -1.43508 / sqrt(1/2.5 + 1/7.5) = -1.96507
    # 人才, 项目: equal counts -> delta = z = 0 (tie kept in code point order: 人 < 项).
    out = log_odds_dirichlet(A, B)
    assert list(out.index) == ["产业", "人才", "项目", "乡村"]
    assert out.loc["产业", "delta"] == pytest.approx(1.13668, abs=1e-5)
    assert out.loc["产业", "z"] == pytest.approx(1.98629, abs=1e-5)
    assert out.loc["乡村", "z"] == pytest.approx(-1.96507, abs=1e-5)
    assert out.loc["人才", "z"] == pytest.approx(0.0)
    assert out.loc["乡村", ["count_a", "count_b"]].tolist() == [0, 5]
    assert list(out.columns) == ["count_a", "count_b", "delta", "z"] and out.index.name == "term"


def test_log_odds_by_hand_with_a_known_prior():
    # Flat background 10 each (sum 40), a_0 = 10 -> alpha = 2.5 for every term.
    # 产业: delta = log(8.5 / 11.5) - log(3.5 / 16.5) = -0.30228 + 1.55060 = 1.24832
    prior = pd.Series({"产业": 10, "人才": 10, "乡村": 10, "项目": 10})
    out = log_odds_dirichlet(A, B, prior)
    assert out.loc["产业", "delta"] == pytest.approx(1.248317, abs=1e-6)
    assert out.loc["产业", "z"] == pytest.approx(1.248317 / math.sqrt(1 / 8.5 + 1 / 3.5), abs=1e-6)
    # A stronger prior pulls the estimate towards zero.
    assert abs(log_odds_dirichlet(A, B, prior, prior_scale=10).loc["产业", "delta"]) < 1.24


def test_log_odds_survives_terms_missing_from_the_prior():
    out = log_odds_dirichlet(A, B, pd.Series({"产业": 5}))
    assert np.isfinite(out[["delta", "z"]].to_numpy()).all()


def test_frequency_difference_by_hand():
    # 产业: 6/10 - 1/10 = 0.5; pooled 7/20 = 0.35; se = sqrt(0.35 * 0.65 * (1/10 + 1/10)) = 0.21331
    out = frequency_difference(A, B)
    assert out.index[0] == "产业" and out.index[-1] == "乡村"
    assert out.loc["产业", "delta"] == pytest.approx(0.5)
    assert out.loc["产业", "z"] == pytest.approx(2.344036, abs=1e-6)


def _corpus() -> pd.DataFrame:
    # The same two districts split over four reports, with a POS variant and a third district.
    rows = [
        ("甲1", "产业", 4, "n"), ("甲1", "人才", 2, "n"),
        ("甲2", "产业", 1, "n"), ("甲2", "产业", 1, "vn"), ("甲2", "项目", 2, "n"),
        ("乙1", "产业", 1, "n"), ("乙1", "乡村", 5, "n"),
        ("乙2", "人才", 2, "n"), ("乙2", "项目", 2, "n"),
    ]
    return pd.DataFrame(rows, columns=["report_id", "term", "count", "pos"])


def test_compare_groups_against_the_rest_matches_the_hand_example():
    out = compare_groups(_corpus(), ["甲1", "甲2"], top_k=5)
    # B = the rest (乙1, 乙2) and the corpus prior = A + B: exactly the hand example.
    assert out[out.side == "a"].term.tolist() == ["产业"]
    assert out[out.side == "b"].term.tolist() == ["乡村"]
    assert out.set_index("term").loc["产业", "z"] == pytest.approx(1.98629, abs=1e-5)
    assert list(out.columns) == ["term", "count_a", "count_b", "delta", "z", "side"]


def test_compare_groups_with_explicit_b_and_unknown_ids():
    out = compare_groups(_corpus(), ["甲1", "nope"], ["乙1", "甲1"], top_k=1)
    # A = 甲1 (产业 4, 人才 2), B = 乙1 only (甲1 is removed from B): 产业 1, 乡村 5.
    rows = out.set_index("term")
    assert rows.loc["产业", ["count_a", "count_b"]].tolist() == [4, 1]
    assert out.side.tolist() == ["a", "b"] and rows.index[1] == "乡村"


def test_compare_groups_accepts_another_statistic():
    out = compare_groups(_corpus(), ["甲1", "甲2"], statistic=frequency_difference)
    assert out.set_index("term").loc["产业", "delta"] == pytest.approx(0.5)


def test_count_matrix_is_memoised_per_frame_object():
    frame = _corpus()
    assert prepare_counts(frame) is prepare_counts(frame)
    assert prepare_counts(frame.copy()) is not prepare_counts(frame)
    matrix = CountMatrix.from_frame(frame)
    assert prepare_counts(matrix) is matrix


def test_compare_groups_on_a_large_frame_returns_top_k_per_side():
    # Speed is measured in bench/, not here. 10,000 reports x 100 terms (1M rows); a district of 200 reports against the rest.
    rng = np.random.default_rng(1)
    n_reports, per_report = 10_000, 100
    vocab = np.array([f"词{i}" for i in range(20_000)], dtype=object)
    frame = pd.DataFrame({
        "report_id": np.repeat([f"r{i}" for i in range(n_reports)], per_report),
        "term": vocab[rng.integers(0, len(vocab), n_reports * per_report)],
        "count": rng.integers(1, 10, n_reports * per_report), "pos": "n",
    })
    ids = [f"r{i}" for i in range(0, n_reports, 50)]
    compare_groups(frame, ids)  # builds the count matrix once
    out = compare_groups(frame, ids)
    assert len(out) == 60


def test_theme_shares_by_hand():
    themes = pd.DataFrame({
        "report_id":    ["r1", "r1", "r1", "r2", "r3"],
        "paragraph_no": [1, 1, 2, 1, 1],
        "theme":        ["科技创新", "产业发展", "科技创新", "乡村振兴", "产业发展"],
        "score":        [1.0, 1.0, 0.6, 2.0, 1.0],
    })
    # r1 paragraph 1 splits its unit 0.5 / 0.5, paragraph 2 gives 科技创新 a whole unit:
    # 科技创新 1.5 / 2 = 0.75, 产业发展 0.5 / 2 = 0.25, 乡村振兴 0.
    shares = theme_shares(themes, ["r1"])
    assert shares.to_dict() == {"科技创新": 0.75, "产业发展": 0.25, "乡村振兴": 0.0}
    assert theme_shares(themes, ["r1", "r2"])["乡村振兴"] == pytest.approx(1 / 3)
    assert theme_shares(themes, []).sum() == 0.0
