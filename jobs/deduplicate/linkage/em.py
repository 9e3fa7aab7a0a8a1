"""Estimating the Fellegi–Sunter parameters: ``u`` from hash-chosen pairs, ``m`` and ``λ`` by EM.

- ``u`` from a hash-chosen set of record pairs (almost all pairs of two records are different
  persons), with add-one smoothing, as Splink's ``estimate_u_using_random_sampling`` does but with
  a reproducible choice of pairs (:func:`jobs.deduplicate.linkage.blocking.sample_pairs`);
- ``m`` and ``λ`` by EM on the candidate pairs with ``u`` held fixed (Winkler 1988; fastLink,
  Enamorado et al. 2019, runs EM on the counts of distinct comparison vectors, as here). The pairs
  are aggregated in Spark into the distinct vectors and their counts (at most Π levels rows), so
  EM runs on the driver over a few hundred numbers, never over rows.

:class:`FittedModel` holds the result (floats rounded to 12 significant digits, so the weights are
the same on every run).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.common.linkage import LinkageSettings
from jobs.deduplicate.linkage.settings import NULL_LEVEL, defaults


@dataclass(frozen=True)
class FittedModel:
    """Parameters of a fitted Fellegi–Sunter model (all floats rounded to 12 significant digits)."""

    prior: float
    m: dict[str, list[float]]
    u: dict[str, list[float]]
    iterations: int
    converged: bool
    candidate_pairs: int
    u_pairs: int
    source: str  # "em" or "defaults"

    def weights(self) -> dict[str, list[float]]:
        """``log2(m/u)`` per level (the Bayes factors of Fellegi & Sunter 1969, in bits)."""
        return {k: [round(math.log2(m / u), 6) for m, u in zip(self.m[k], self.u[k])] for k in self.m}

    @property
    def prior_weight(self) -> float:
        return round(math.log2(self.prior / (1.0 - self.prior)), 6)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "weights": self.weights(), "prior_weight": self.prior_weight}


def _round(x: float) -> float:
    return float(f"{x:.12g}")


def estimate_u(sample: DataFrame, settings: LinkageSettings) -> tuple[dict[str, list[float]], int]:
    """``u_f,l`` from the comparison vectors of sampled pairs, add-one smoothed. Returns (u, pairs)."""
    aggs = []
    for c in settings.comparisons:
        g = F.col(f"gamma_{c.name}")
        for level in range(len(c.labels())):
            aggs.append(F.sum(F.when(g == level, 1).otherwise(0)).cast("long").alias(f"{c.name}#{level}"))
    row = sample.agg(F.count(F.lit(1)).alias("_n"), *aggs).collect()[0]
    u = {}
    for c in settings.comparisons:
        counts = [int(row[f"{c.name}#{level}"] or 0) for level in range(len(c.labels()))]
        total = sum(counts) + len(counts)
        u[c.name] = [_round((n + 1) / total) for n in counts]
    return u, int(row["_n"])


def comparison_patterns(compared: DataFrame, settings: LinkageSettings) -> list[tuple[tuple[int, ...], int]]:
    """Distinct comparison vectors of the pairs with their counts, sorted (deterministic EM input)."""
    cols = [f"gamma_{c.name}" for c in settings.comparisons]
    rows = compared.groupBy(*cols).count().collect()
    return sorted((tuple(int(r[c]) for c in cols), int(r["count"])) for r in rows)


def fit_em(patterns: Sequence[tuple[tuple[int, ...], int]], u: Mapping[str, Sequence[float]], settings: LinkageSettings,
           *, u_pairs: int = 0) -> FittedModel:
    """EM for ``m`` and ``λ`` with ``u`` fixed, over counted comparison vectors.

    E-step: ``P(match | γ) = λ Π m / (λ Π m + (1-λ) Π u)``, null levels left out of both products.
    M-step: ``λ = Σ n_γ p_γ / Σ n_γ``; ``m_f,l = Σ n_γ p_γ [γ_f = l] / Σ n_γ p_γ [γ_f ≠ null]``.
    Source: Fellegi & Sunter (1969); Winkler (1988) "Using the EM algorithm for weight computation
    in the Fellegi–Sunter model of record linkage". With fewer than ``em_min_pairs`` candidate
    pairs there is too little data: the ``default_m`` of the settings and the given ``u`` are used.
    """
    comps = settings.comparisons
    n_pairs = sum(n for _, n in patterns)
    m = defaults(settings, "m")
    if n_pairs < settings.em_min_pairs:
        return FittedModel(settings.prior, {k: [_round(x) for x in v] for k, v in m.items()},
                           {k: list(v) for k, v in u.items()}, 0, False, n_pairs, u_pairs, "defaults")
    lam = settings.prior
    log_u = {c.name: [math.log(x) for x in u[c.name]] for c in comps}
    converged = False
    it = 0
    for it in range(1, settings.em_max_iterations + 1):  # noqa: B007 - the last iteration number is reported after the loop
        log_m = {c.name: [math.log(max(x, 1e-300)) for x in m[c.name]] for c in comps}
        wsum = 0.0
        acc = {c.name: [0.0] * len(c.labels()) for c in comps}
        den = {c.name: 0.0 for c in comps}
        for vec, n in patterns:
            lm, lu = math.log(lam), math.log(1.0 - lam)
            for c, g in zip(comps, vec):
                if g != NULL_LEVEL:
                    lm += log_m[c.name][g]
                    lu += log_u[c.name][g]
            diff = lu - lm
            p = 1.0 / (1.0 + math.exp(diff)) if diff < 700 else 0.0
            w = n * p
            wsum += w
            for c, g in zip(comps, vec):
                if g != NULL_LEVEL:
                    acc[c.name][g] += w
                    den[c.name] += w
        new_lam = min(max(wsum / n_pairs, 1e-9), 1 - 1e-9)
        new_m = {}
        for c in comps:
            k = len(c.labels())
            if den[c.name] > 0:
                vals = [(acc[c.name][j] + 1e-6) / (den[c.name] + k * 1e-6) for j in range(k)]
            else:
                vals = m[c.name]
            new_m[c.name] = vals
        delta = max([abs(new_lam - lam)] + [abs(a - b) for c in comps for a, b in zip(new_m[c.name], m[c.name])])
        lam, m = new_lam, new_m
        if delta < settings.em_tolerance:
            converged = True
            break
    return FittedModel(_round(lam), {k: [_round(x) for x in v] for k, v in m.items()}, {k: list(v) for k, v in u.items()},
                       it, converged, n_pairs, u_pairs, "em")
