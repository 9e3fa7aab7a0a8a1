"""Typed settings of the probable-duplicate model: a section of the configuration.

:class:`LinkageSettings` is the ``linkage`` section of ``configs/linkage.yaml`` (or of a dataset in
``configs/febrl.yaml``) as a frozen dataclass that round-trips to JSON; it is read by
:func:`jobs.common.config.load_config` (``Config.linkage``) and :func:`jobs.common.config.load_linkage_file`,
and used by :mod:`jobs.deduplicate.linkage`. :class:`Comparison` is one compared field with its
agreement levels. Light: standard library only, so the Airflow side may import the configuration.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

#: Agreement level kinds a comparison may list (``levenshtein`` and ``prefix`` take ``:K``); the
#: deduplicate stage evaluates each one (:func:`jobs.deduplicate.linkage.comparisons.gamma`).
LEVEL_KINDS: tuple[str, ...] = ("exact", "masked", "lower", "levenshtein", "prefix")
#: Level kinds that take an argument ``:K`` (a non-negative integer).
LEVEL_KINDS_WITH_ARGUMENT: tuple[str, ...] = ("levenshtein", "prefix")
#: The two implicit levels every comparison has after its listed ones: no listed level holds /
#: either side is missing (weight 0).
IMPLICIT_LEVELS: tuple[str, ...] = ("else", "null")


def level_kind(label: str) -> tuple[str, str]:
    """``(kind, argument)`` of a level label: ``levenshtein:3`` → ``("levenshtein", "3")``, ``exact`` → ``("exact", "")``."""
    kind, _, arg = label.partition(":")
    return kind, arg


@dataclass(frozen=True)
class Comparison:
    """One compared field: ``column`` on both sides, agreement ``levels`` best first.

    Level kinds: ``exact``; ``masked`` (one side has ``*`` and every other character matches, same
    length); ``lower`` (equal ignoring case); ``levenshtein:K`` (edit distance ≤ K, Levenshtein
    1966); ``prefix:K`` (first K characters equal). Two implicit levels follow: ``else`` (index
    ``len(levels)``) and ``null`` (index -1, either side missing).
    """

    name: str
    column: str
    levels: tuple[str, ...]

    def labels(self) -> tuple[str, ...]:
        return (*self.levels, "else")


@dataclass(frozen=True)
class LinkageSettings:
    """Settings of the probable-duplicate model (``configs/linkage.yaml``), round-trip to JSON."""

    comparisons: tuple[Comparison, ...]
    blocking_rules: tuple[tuple[str, ...], ...]
    max_block_size: int = 50
    u_sample_pairs: int = 200_000
    threshold_match_probability: float = 0.99
    near_threshold_weight: float = 2.0
    em_max_iterations: int = 200
    em_tolerance: float = 1e-9
    em_min_pairs: int = 200
    prior: float = 0.1
    default_m: Mapping[str, float] = field(default_factory=dict)
    default_u: Mapping[str, float] = field(default_factory=dict)
    distinct_identifiers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sufficient_alone: tuple[str, ...] = ()
    identity_fields: tuple[str, ...] = ()
    min_agreeing_fields: int = 2
    record_id: str = "record_id"
    order_by: tuple[str, ...] = ("record_id",)

    @property
    def threshold_match_weight(self) -> float:
        p = self.threshold_match_probability
        return math.log2(p / (1.0 - p))

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self), sort_keys=True))

    def digest(self) -> str:
        """SHA-256 of the canonical JSON of the settings (recorded with every count)."""
        text = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> "LinkageSettings":
        d = dict(data)
        d.update(d.pop("guards", None) or {})
        d["comparisons"] = tuple(Comparison(c["name"], c["column"], tuple(str(x) for x in c["levels"])) for c in d["comparisons"])
        d["blocking_rules"] = tuple(tuple(str(x) for x in r) for r in d["blocking_rules"])
        d["distinct_identifiers"] = {k: tuple(v) for k, v in (d.get("distinct_identifiers") or {}).items()}
        for key in ("sufficient_alone", "identity_fields", "order_by"):
            if key in d:
                d[key] = tuple(d[key] or ())
        d["default_m"] = dict(d.get("default_m") or {})
        d["default_u"] = dict(d.get("default_u") or {})
        return LinkageSettings(**d)
