"""A probable link field by field, as the review page and sheet show it: each compared field's two
values, its comparison level and the weight that level added to the link's match weight.

The weight of level ``l`` of field ``f`` is ``log2(m_f,l / u_f,l)`` (Fellegi & Sunter 1969, the
Bayes factor in bits), from the fitted model of the run (``counts.json`` ``linkage.model``: ``m``
and ``u`` per field, one value per label of ``levels + ["else"]``); a ``null`` level (either side
missing) adds 0 (left out of both products, as the scoring does). The link's match weight is the
model's ``prior_weight`` plus these field weights (:func:`jobs.deduplicate.linkage.scoring.score_pairs`,
rounded to 6 decimals), so the page's numbers add up to the weight in ``duplicates.csv``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

#: The level label of a field with a missing side (:data:`jobs.deduplicate.linkage.settings.NULL_LEVEL`).
NULL_LABEL = "null"


def level_weight(model: Mapping[str, Any], comparison: Mapping[str, Any], label: str) -> float | None:
    """The weight (bits, 6 decimals) that ``label`` of ``comparison`` adds; 0.0 for ``null``; None
    when the label or the field is unknown to the model (a link written by another model).

    Args:
        model: ``linkage.model`` of ``counts.json``: ``m`` and ``u``, field name → list of floats.
        comparison: one ``linkage.settings.comparisons`` entry: ``name``, ``levels`` (list of str).
        label: the ``level_<name>`` value of the link (``exact``, ``masked``, ``else``, ``null``…).
    """
    if label == NULL_LABEL:
        return 0.0
    labels = [*comparison["levels"], "else"]
    name = comparison["name"]
    m, u = model.get("m", {}).get(name), model.get("u", {}).get(name)
    if label not in labels or m is None or u is None or len(m) != len(labels) or len(u) != len(labels):
        return None
    i = labels.index(label)
    return round(math.log2(float(m[i]) / float(u[i])), 6)


def pair_fields(link: Mapping[str, Any], left: Mapping[str, Any], right: Mapping[str, Any], model: Mapping[str, Any] | None,
                comparisons: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One dict per compared field: ``name``, ``column`` (the compared column), ``left``, ``right``
    (the two records' values of the field ``name`` when records.csv has it, e.g. ``name`` rather
    than the compared ``name_key``, else of ``column``; ``""`` when missing), ``level`` (str) and
    ``weight`` (float, bits, or None without a model).

    Args:
        link: a ``duplicates.csv`` row with ``level_<name>`` columns.
        left, right: the two ``records.csv`` rows (``record_id`` and ``linked_record_id``).
        model: ``counts.json`` ``linkage.model`` or None; comparisons: ``linkage.settings.comparisons``.
    """
    out = []
    for c in comparisons:
        label = str(link.get(f"level_{c['name']}") or "")
        column = c.get("column") or c["name"]
        shown = c["name"] if c["name"] in left or c["name"] in right else column  # the readable value (name), not its key (name_key)
        out.append({"name": c["name"], "column": column, "left": left.get(shown) or "", "right": right.get(shown) or "", "level": label,
                    "weight": level_weight(model, c, label) if model and label else None})
    return out


def weight_sum(fields: Sequence[Mapping[str, Any]], model: Mapping[str, Any]) -> float | None:
    """``prior_weight`` + the field weights (6 decimals): the link's match weight (None when a weight is unknown)."""
    if any(f["weight"] is None for f in fields):
        return None
    return round(float(model["prior_weight"]) + sum(f["weight"] for f in fields), 6)
