"""Two experiments compared example by example: per score key, over the examples both scored.

For each key: the mean difference `mean(b - a)` with a seeded 95 % percentile bootstrap CI, a paired
test (exact McNemar — a binomial test on the discordant pairs — when every score is 0/1, Wilcoxon's
signed-rank test otherwise), the examples that improved, regressed or stayed, and the examples scored
on one side only. `a` is the baseline, `b` the candidate.

numpy is imported inside the functions, so importing this module costs nothing at the app's start;
the tests of McNemar and Wilcoxon are computed here (checked equal to scipy.stats' in the tests), as
importing scipy.stats takes longer than comparing 10,000 examples. scipy.special serves McNemar past
20,000 discordant pairs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: Differences this close to zero are float noise, not changes (0.1 + 0.2 - 0.3).
_EPSILON = 1e-12
#: Up to this many distinct differences the bootstrap draws counts per value (exactly the same
#: distribution as drawing examples, far cheaper); above it, examples are drawn in chunks.
_MAX_LEVELS = 256
_CHUNK_CELLS = 1_000_000  # resamples x examples drawn at once (4 MB of int32: stays in cache)
_EXACT_BINOMIAL = 20_000  # discordant pairs up to which McNemar's tail is summed in integers


@dataclass(frozen=True)
class PairedKey:
    key: str
    n: int  # examples scored on both sides
    mean_a: float | None
    mean_b: float | None
    diff: float | None  # mean(b - a) over the n examples
    ci_low: float | None  # 95 % bootstrap CI of diff (None when n < 2)
    ci_high: float | None
    p_value: float | None
    test: str  # "mcnemar" for 0/1 scores, "wilcoxon" otherwise, "" when n is too small
    improved: tuple[str, ...]
    regressed: tuple[str, ...]
    unchanged: tuple[str, ...]
    missing_in_a: tuple[str, ...]  # scored in b only
    missing_in_b: tuple[str, ...]  # scored in a only

    def line(self) -> str:
        """`exact_match +0.08 [+0.02, +0.15], 9 better, 3 worse, p=0.04`"""
        if self.n == 0 or self.diff is None:
            text = f"{self.key}: no example scored on both sides"
        else:
            text = f"{self.key} {self.diff:+.2f}"
            if self.ci_low is not None and self.ci_high is not None:
                text += f" [{self.ci_low:+.2f}, {self.ci_high:+.2f}]"
            text += f", {len(self.improved)} better, {len(self.regressed)} worse"
            if self.p_value is not None:
                text += f", {format_p(self.p_value)}"
        if self.missing_in_a:
            text += f", {len(self.missing_in_a)} only in B"
        if self.missing_in_b:
            text += f", {len(self.missing_in_b)} only in A"
        return text


def format_p(p: float) -> str:
    if p < 0.001:
        return "p<0.001"
    if p < 0.01:
        return f"p={p:.3f}"
    return f"p={p:.2f}"


def compare_paired(
    a: Mapping[str, Mapping[str, float | None]],
    b: Mapping[str, Mapping[str, float | None]],
    *,
    keys: Sequence[str] | None = None,
    seed: int = 0,
    resamples: int = 10_000,
    tolerance: float = 0.0,
) -> list[PairedKey]:
    """One `PairedKey` per key (`keys`, else every key of `a` then of `b`, in order first seen).

    `a`, `b`: `{key: {example_id: numeric score or None}}`; None (an error, no score) counts as not
    scored. A difference within `tolerance` is unchanged. Each key draws its bootstrap from its own
    generator seeded with `seed`, so a key's figures do not depend on which other keys are compared.
    """
    if keys is None:
        keys = list(dict.fromkeys([*a, *b]))
    return [
        _paired_key(key, a.get(key) or {}, b.get(key) or {}, seed=seed, resamples=resamples, tolerance=tolerance)
        for key in keys
    ]


def _numeric(value: object) -> float | None:
    if value is None or isinstance(value, str):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _paired_key(
    key: str,
    side_a: Mapping[str, float | None],
    side_b: Mapping[str, float | None],
    *,
    seed: int,
    resamples: int,
    tolerance: float,
) -> PairedKey:
    import numpy as np

    scored_a = {ident: v for ident, raw in side_a.items() if (v := _numeric(raw)) is not None}
    scored_b = {ident: v for ident, raw in side_b.items() if (v := _numeric(raw)) is not None}
    ids = sorted(scored_a.keys() & scored_b.keys())
    missing_in_a = tuple(sorted(scored_b.keys() - scored_a.keys()))
    missing_in_b = tuple(sorted(scored_a.keys() - scored_b.keys()))
    n = len(ids)
    if n == 0:
        return PairedKey(key, 0, None, None, None, None, None, None, "", (), (), (), missing_in_a, missing_in_b)

    values_a = np.fromiter((scored_a[i] for i in ids), dtype=float, count=n)
    values_b = np.fromiter((scored_b[i] for i in ids), dtype=float, count=n)
    diffs = values_b - values_a
    threshold = max(tolerance, 0.0) + _EPSILON
    up = diffs > threshold
    down = diffs < -threshold
    id_array = np.array(ids, dtype=object)
    improved = tuple(id_array[up].tolist())
    regressed = tuple(id_array[down].tolist())
    unchanged = tuple(id_array[~(up | down)].tolist())

    diff = float(diffs.mean())
    ci_low = ci_high = p_value = None
    test = ""
    if n >= 2:
        ci_low, ci_high = _bootstrap_ci(diffs, seed=seed, resamples=resamples)
        binary = bool(np.isin(values_a, (0.0, 1.0)).all() and np.isin(values_b, (0.0, 1.0)).all())
        if binary:
            test, p_value = "mcnemar", _mcnemar(len(improved), len(regressed))
        else:
            changed = diffs[up | down]
            test, p_value = "wilcoxon", _wilcoxon(changed)
    return PairedKey(
        key=key,
        n=n,
        mean_a=float(values_a.mean()),
        mean_b=float(values_b.mean()),
        diff=diff,
        ci_low=ci_low,
        ci_high=ci_high,
        p_value=p_value,
        test=test,
        improved=improved,
        regressed=regressed,
        unchanged=unchanged,
        missing_in_a=missing_in_a,
        missing_in_b=missing_in_b,
    )


def _bootstrap_ci(diffs, *, seed: int, resamples: int) -> tuple[float, float]:
    """95 % percentile bootstrap CI of the mean of `diffs` (nonparametric: examples drawn with
    replacement). When the differences take few distinct values (0/1 scores give -1, 0, +1), a
    resample's mean depends only on how many of each value it drew, a multinomial draw: the same
    distribution as drawing examples, at a cost per value instead of per example."""
    import numpy as np

    n = len(diffs)
    rng = np.random.default_rng(seed)
    resamples = max(int(resamples), 1)
    levels, counts = np.unique(diffs, return_counts=True)
    if len(levels) == 1:
        only = float(levels[0])
        return only, only
    if len(levels) <= _MAX_LEVELS:
        drawn = rng.multinomial(n, counts / n, size=resamples)
        means = drawn @ levels / n
    else:
        means = np.empty(resamples)
        chunk = max(1, _CHUNK_CELLS // n)
        for start in range(0, resamples, chunk):
            stop = min(start + chunk, resamples)
            idx = rng.integers(0, n, size=(stop - start, n), dtype=np.int32 if n < 2**31 else np.int64)
            means[start:stop] = diffs[idx].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def _mcnemar(improved: int, regressed: int) -> float:
    """Exact McNemar test: under "no change", each discordant pair is as likely to go either way,
    so the count of improvements among them is Binomial(improved + regressed, 1/2); two-sided.
    That distribution is symmetric, so the two-sided p (scipy.stats.binomtest's, a test checks it)
    is twice the smaller tail, at most 1. The tail is summed exactly in integers (C(n, k) / 2^n);
    past _EXACT_BINOMIAL discordant pairs, scipy.special's binomial CDF does it."""
    discordant = improved + regressed
    if discordant == 0:
        return 1.0
    smaller = min(improved, regressed)
    if discordant > _EXACT_BINOMIAL:
        from scipy.special import bdtr

        return float(min(1.0, 2.0 * bdtr(smaller, discordant, 0.5)))
    term = tail = 1
    for k in range(smaller):  # C(n, k + 1) from C(n, k)
        term = term * (discordant - k) // (k + 1)
        tail += term
    return min(1.0, 2 * tail / 2 ** discordant)


def _wilcoxon(changed) -> float:
    """Two-sided Wilcoxon signed-rank p of the non-zero differences (Wilcoxon's own treatment of
    zeros); none changed: p = 1. The same p as `scipy.stats.wilcoxon(changed)` (a test checks them
    equal), chosen as its default `method="auto"` does: the exact null distribution up to 50
    differences without ties, all 2^n sign flips up to 13 with ties, else the normal approximation
    with the tie correction. Computed here because importing scipy.stats (about 0.45 s; scipy.special
    alone 0.18 s) takes longer than a whole comparison of 10,000 examples, and a CI job pays it on
    every call."""
    import numpy as np

    d = np.asarray(changed, dtype=float)
    d = d[d != 0]
    n = len(d)
    if n == 0:
        return 1.0
    ranks, tie_sizes = _average_ranks(np.abs(d))
    r_plus = float(ranks[d > 0].sum())
    ties = bool((tie_sizes > 1).any())
    if n <= 50 and not ties:
        pmf = _signed_rank_pmf(n)
        p = 2.0 * min(pmf[int(math.floor(r_plus)):].sum(), pmf[:int(math.ceil(r_plus)) + 1].sum())
    elif n <= 13:
        flips = (np.arange(2 ** n)[:, None] >> np.arange(n)) & 1  # every sign assignment
        null = flips @ ranks
        gamma = abs(np.finfo(float).eps * 100 * r_plus)  # scipy.stats.permutation_test's tolerance
        p = 2.0 * min(float((null <= r_plus + gamma).mean()), float((null >= r_plus - gamma).mean()))
    else:
        mean = n * (n + 1) / 4.0
        var = (n * (n + 1) * (2 * n + 1) - float((tie_sizes ** 3 - tie_sizes).sum()) / 2.0) / 24.0
        z = (r_plus - mean) / math.sqrt(var)
        p = math.erfc(abs(z) / math.sqrt(2.0))  # 2 * P(Z > |z|), Z standard normal
    return min(1.0, max(0.0, float(p)))


def _average_ranks(values):
    """Ranks 1..n of `values`, ties given their average rank; and the size of each group of ties."""
    import numpy as np

    n = len(values)
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], n]
    sizes = ends - starts
    ranks = np.empty(n)
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, sizes)
    return ranks, sizes


def _signed_rank_pmf(n: int):
    """P(W+ = w), w = 0 … n(n+1)/2, for n differences without ties: each rank k is in W+ with
    probability 1/2, independently."""
    import numpy as np

    pmf = np.ones(1)
    for k in range(1, n + 1):
        grown = np.zeros(len(pmf) + k)
        grown[:len(pmf)] += pmf * 0.5
        grown[k:] += pmf * 0.5
        pmf = grown
    return pmf
