"""Sample sizes and binomial confidence intervals for the review's samples.

- :func:`cochran_sample_size`: Cochran, W. G. (1977), *Sampling Techniques*, 3rd ed., Wiley, §4.4:
  ``n0 = z² p (1 − p) / e²`` for a proportion, with the finite-population correction
  ``n = n0 / (1 + (n0 − 1) / N)`` (eq. 4.2), rounded up; ``p = 0.5`` is the most conservative.
- :func:`wilson_interval`: Wilson, E. B. (1927), "Probable inference, the law of succession, and
  statistical inference", JASA 22(158): 209–212; method 3 of Newcombe, R. G. (1998), "Two-sided
  confidence intervals for the single proportion: comparison of seven methods", Statistics in
  Medicine 17: 857–872 (score interval without continuity correction).
"""

from __future__ import annotations

import math
from statistics import NormalDist


def z_value(confidence: float) -> float:
    """The two-sided standard normal quantile ``z_(1-α/2)`` for ``confidence`` = 1 − α (0.95 → 1.959964).

    Raises:
        ValueError: ``confidence`` not strictly between 0 and 1.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1 (got {confidence})")
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def cochran_sample_size(population: int, *, confidence: float = 0.95, margin: float = 0.05, proportion: float = 0.5) -> int:
    """Units to sample from ``population`` to estimate a proportion within ± ``margin`` at ``confidence``.

    Cochran (1977) §4.4, eq. 4.1–4.2 with the finite-population correction; the result is rounded
    up and never more than ``population`` (0 for an empty population).

    Args:
        population: N, the number of links or records the sample is drawn from (int ≥ 0).
        confidence: e.g. 0.95. margin: e.g. 0.05 (absolute, as a proportion). proportion: the
            expected proportion p (0.5 gives the largest sample).

    Raises:
        ValueError: negative population, margin outside (0, 1) or proportion outside [0, 1].
    """
    if population < 0:
        raise ValueError(f"population must be >= 0 (got {population})")
    if not 0.0 < margin < 1.0 or not 0.0 <= proportion <= 1.0:
        raise ValueError(f"margin must be in (0, 1) and proportion in [0, 1] (got {margin}, {proportion})")
    if population == 0:
        return 0
    z = z_value(confidence)
    n0 = z * z * proportion * (1.0 - proportion) / (margin * margin)
    n = n0 / (1.0 + (n0 - 1.0) / population)
    return min(population, math.ceil(round(n, 9)))


def wilson_interval(successes: int, trials: int, *, confidence: float = 0.95) -> tuple[float, float] | None:
    """Wilson score interval ``(low, high)`` for ``successes`` out of ``trials``; ``None`` when ``trials`` is 0.

    ``(p̂ + z²/2n ± z √(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n)`` (Wilson 1927; Newcombe 1998 method 3).

    Raises:
        ValueError: ``successes`` outside ``[0, trials]``.
    """
    if trials == 0:
        return None
    if not 0 <= successes <= trials:
        raise ValueError(f"successes must be between 0 and trials (got {successes} of {trials})")
    z = z_value(confidence)
    p = successes / trials
    z2 = z * z
    centre = p + z2 / (2 * trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    denom = 1 + z2 / trials
    return max(0.0, (centre - spread) / denom), min(1.0, (centre + spread) / denom)
