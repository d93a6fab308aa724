"""The paired statistics: known values (hand-checked and scipy's own), ties, tiny n, reproducibility."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats

from tui.backend.runs.paired_stats import PairedKey, compare_paired


def _sides(pairs: list[tuple[float | None, float | None]], key: str = "k"):
    a = {key: {f"e{i:03d}": x for i, (x, _) in enumerate(pairs)}}
    b = {key: {f"e{i:03d}": y for i, (_, y) in enumerate(pairs)}}
    return a, b


def _one(pairs, **kwargs) -> PairedKey:
    a, b = _sides(pairs)
    (result,) = compare_paired(a, b, **kwargs)
    return result


def test_mcnemar_hand_checked():
    # 9 examples 0 -> 1, 1 example 1 -> 0, 10 unchanged (5 at 1, 5 at 0).
    pairs = [(0, 1)] * 9 + [(1, 0)] + [(1, 1)] * 5 + [(0, 0)] * 5
    r = _one(pairs)
    assert r.test == "mcnemar"
    assert r.n == 20
    assert (len(r.improved), len(r.regressed), len(r.unchanged)) == (9, 1, 10)
    # Exact McNemar: P(X <= 1 or X >= 9), X ~ Binomial(10, 1/2) = 2 * (1 + 10) / 1024.
    assert r.p_value == pytest.approx(22 / 1024)
    assert r.mean_a == pytest.approx(6 / 20) and r.mean_b == pytest.approx(14 / 20)
    assert r.diff == pytest.approx(8 / 20)
    assert r.ci_low < r.diff < r.ci_high
    assert r.improved == tuple(f"e{i:03d}" for i in range(9)) and r.regressed == ("e009",)


@pytest.mark.parametrize("improved, regressed", [(0, 1), (1, 0), (3, 3), (9, 1), (1, 9), (40, 25), (0, 30), (7, 12)])
def test_mcnemar_is_scipys_exact_binomial_test(improved, regressed):
    r = _one([(0, 1)] * improved + [(1, 0)] * regressed + [(1, 1)] * 2)
    assert r.p_value == pytest.approx(stats.binomtest(improved, improved + regressed, 0.5).pvalue, rel=1e-9)


@pytest.mark.parametrize("improved, regressed", [(5_000, 5_100), (9_000, 11_001), (12_000, 12_000), (100, 20_000)])
def test_mcnemar_at_many_discordant_pairs_is_scipys(improved, regressed):
    """The integer tail up to 20,000 discordant pairs, scipy.special's binomial CDF beyond."""
    from tui.backend.runs.paired_stats import _mcnemar

    expected = stats.binomtest(improved, improved + regressed, 0.5).pvalue
    assert _mcnemar(improved, regressed) == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_booleans_are_binary_scores():
    r = _one([(False, True), (True, True), (True, False), (False, True)])
    assert r.test == "mcnemar" and r.p_value == pytest.approx(1.0)


def test_wilcoxon_exact_hand_checked():
    # All five differences positive, distinct: exact two-sided p = 2 / 2**5.
    r = _one([(0.0, 0.1), (0.0, 0.2), (0.0, 0.3), (0.0, 0.4), (0.0, 0.5)])
    assert r.test == "wilcoxon"
    assert r.p_value == pytest.approx(2 / 32)


def test_wilcoxon_matches_scipy_with_zeros_and_ties():
    rng = np.random.default_rng(7)
    a_vals = rng.choice([0.0, 0.25, 0.5, 0.75, 1.0], size=60)
    b_vals = np.clip(a_vals + rng.choice([-0.25, 0.0, 0.0, 0.25, 0.5], size=60), 0, 1)
    r = _one(list(zip(a_vals.tolist(), b_vals.tolist())))
    expected = stats.wilcoxon(b_vals - a_vals).pvalue  # zero_method="wilcox": zeros dropped
    assert r.p_value == pytest.approx(expected)
    assert r.diff == pytest.approx(float((b_vals - a_vals).mean()))


def _wilcoxon_cases():
    """(label, differences): each branch of scipy's method="auto" — exact (n <= 50, no ties), all
    sign flips (n <= 13 with ties), normal approximation (ties above 13, or n > 50) — at its edges."""
    rng = np.random.default_rng(7)
    cases = [("one", [0.5]), ("two", [0.5, -0.25]), ("all up", [0.1 * k for k in range(1, 9)])]
    for n in (3, 5, 12, 13, 14, 20, 49, 50, 51, 80, 300):
        cases.append((f"continuous n={n}", rng.normal(0.05, 0.3, n)))
        tied = np.round(rng.normal(0.1, 0.4, n), 1)
        cases.append((f"ties n={n}", tied[tied != 0] if (tied != 0).any() else [0.3]))
        cases.append((f"sign-symmetric n={n}", np.r_[np.arange(1, n // 2 + 1), -np.arange(1, n - n // 2 + 1)] * 0.1))
    return cases


@pytest.mark.parametrize("label, diffs", _wilcoxon_cases(), ids=lambda v: v if isinstance(v, str) else "")
def test_wilcoxon_p_is_scipys(label, diffs):
    """Our signed-rank p (scipy.stats not imported at run time) equals scipy.stats.wilcoxon's."""
    from tui.backend.runs.paired_stats import _wilcoxon

    d = np.asarray(diffs, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = float(stats.wilcoxon(d).pvalue)
    assert _wilcoxon(d) == pytest.approx(expected, rel=1e-9, abs=1e-12), label


def test_bootstrap_matches_scipy_percentile_bootstrap():
    rng = np.random.default_rng(3)
    a_vals = rng.random(400)
    b_vals = a_vals + rng.normal(0.05, 0.2, 400)  # continuous: examples drawn in chunks
    r = _one(list(zip(a_vals.tolist(), b_vals.tolist())))
    ref = stats.bootstrap(
        (b_vals - a_vals,), np.mean, method="percentile", n_resamples=10_000, random_state=1
    ).confidence_interval
    assert r.ci_low == pytest.approx(ref.low, abs=0.004)
    assert r.ci_high == pytest.approx(ref.high, abs=0.004)


def test_binary_bootstrap_matches_drawing_examples():
    # The multinomial shortcut for few distinct differences has the distribution of drawing examples.
    pairs = [(0, 1)] * 30 + [(1, 0)] * 12 + [(1, 1)] * 40 + [(0, 0)] * 18
    r = _one(pairs)
    diffs = np.array([y - x for x, y in pairs], dtype=float)
    idx = np.random.default_rng(11).integers(0, len(diffs), size=(20_000, len(diffs)))
    low, high = np.percentile(diffs[idx].mean(axis=1), [2.5, 97.5])
    assert r.ci_low == pytest.approx(low, abs=0.011)
    assert r.ci_high == pytest.approx(high, abs=0.011)
    assert r.ci_low > 0  # 30 better vs 12 worse out of 100


def test_seeded_and_reproducible():
    pairs = [(0, 1)] * 7 + [(1, 0)] * 4 + [(1, 1)] * 9
    first, again = _one(pairs, seed=5), _one(pairs, seed=5)
    assert (first.ci_low, first.ci_high) == (again.ci_low, again.ci_high)
    continuous = [(i / 37, (i * 7 % 37) / 37) for i in range(37)]
    one, same, other = _one(continuous, seed=5), _one(continuous, seed=5), _one(continuous, seed=6)
    assert (one.ci_low, one.ci_high) == (same.ci_low, same.ci_high) != (other.ci_low, other.ci_high)
    # A key's figures do not depend on the other keys compared alongside.
    a, b = _sides(pairs, "k")
    a2, b2 = _sides([(0.1, 0.9), (0.3, 0.2), (0.5, 0.5)], "z")
    together = compare_paired({**a2, **a}, {**b2, **b}, seed=5)
    assert [r.key for r in together] == ["z", "k"]
    assert together[1] == first


def test_tiny_n_and_all_equal_give_answers_not_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        empty = _one([])
        assert (empty.n, empty.diff, empty.ci_low, empty.p_value, empty.test) == (0, None, None, None, "")
        assert "no example scored on both sides" in empty.line()
        single = _one([(0.0, 1.0)])
        assert (single.n, single.diff, single.ci_low, single.p_value, single.test) == (1, 1.0, None, None, "")
        assert single.improved == ("e000",)
        same = _one([(1, 1)] * 6)
        assert (same.diff, same.ci_low, same.ci_high, same.p_value) == (0.0, 0.0, 0.0, 1.0)
        assert same.unchanged == tuple(f"e{i:03d}" for i in range(6))
        shifted = _one([(0.2, 0.7)] * 4)  # every difference the same, non-zero
        assert shifted.ci_low == shifted.ci_high == pytest.approx(0.5)
        assert 0 < shifted.p_value <= 1 and shifted.test == "wilcoxon"
        for r in (same, shifted):
            assert all(math.isfinite(x) for x in (r.diff, r.ci_low, r.ci_high, r.p_value))


def test_missing_and_none_are_named_not_paired():
    a = {"k": {"x": 1.0, "y": 0.0, "only_a": 1.0, "err_b": 1.0, "err_a": None}}
    b = {"k": {"x": 1.0, "y": 1.0, "only_b": 0.0, "err_b": None, "err_a": 0.0}}
    (r,) = compare_paired(a, b)
    assert r.n == 2
    assert r.missing_in_a == ("err_a", "only_b")
    assert r.missing_in_b == ("err_b", "only_a")
    assert r.line().endswith(", 2 only in B, 2 only in A")


def test_tolerance_and_float_noise():
    r = _one([(0.3, 0.1 + 0.2), (0.5, 0.52), (0.5, 0.4)], tolerance=0.05)
    assert r.unchanged == ("e000", "e001") and r.regressed == ("e002",) and not r.improved
    noise = _one([(0.3, 0.1 + 0.2)] * 3)
    assert noise.unchanged == ("e000", "e001", "e002")


def test_keys_select_and_order():
    a = {"x": {"1": 1.0}, "y": {"1": 0.0}}
    b = {"x": {"1": 1.0}, "y": {"1": 1.0}, "z": {"1": 1.0}}
    assert [r.key for r in compare_paired(a, b)] == ["x", "y", "z"]
    (z,) = compare_paired(a, b, keys=["z"])
    assert z.n == 0 and z.missing_in_a == ("1",)
    (nothing,) = compare_paired(a, b, keys=["nope"])
    assert nothing.n == 0 and not nothing.missing_in_a


def test_line_format():
    r = PairedKey(
        key="exact_match", n=30, mean_a=0.5, mean_b=0.58, diff=0.08, ci_low=0.02, ci_high=0.15,
        p_value=0.04, test="mcnemar", improved=tuple("abcdefghi"), regressed=("j", "k", "l"),
        unchanged=(), missing_in_a=(), missing_in_b=(),
    )
    assert r.line() == "exact_match +0.08 [+0.02, +0.15], 9 better, 3 worse, p=0.04"
    worse = _one([(1, 0)] * 40 + [(1, 1)] * 10)
    assert worse.line().startswith("k -0.80 [")
    assert worse.line().endswith(", 0 better, 40 worse, p<0.001")


def test_import_is_lazy():
    import subprocess
    import sys

    code = "import sys, tui.backend.runs.paired_stats; print('numpy' in sys.modules, 'scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
