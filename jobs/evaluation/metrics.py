"""Accuracy measures of a deduplication: pairwise precision/recall/F1 and B³ (the one implementation).

Both compare a predicted clustering with the true one, each given as record id → cluster id.
Pairwise (Christen 2012, *Data Matching*, ch. 7): a pair of records is a true pair when both belong
to the same entity, a predicted pair when both are in the same predicted cluster; precision =
|true ∩ predicted| / |predicted|, recall = |true ∩ predicted| / |true|. B³ (Bagga & Baldwin 1998,
"Algorithms for scoring coreference chains") averages a per-record precision and recall.

Used by :mod:`jobs.evaluation.febrl` (FEBRL3 / FEBRL4), :mod:`jobs.evaluation.linkage_truth` (a
case file against the generator's ``linkage_truth.csv``) and the labelled-generator test.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping


def _groups(assignment: Mapping[str, str]) -> dict[str, list[str]]:
    """Cluster id → its records, in the order of ``assignment``."""
    groups: dict[str, list[str]] = defaultdict(list)
    for record, cluster in assignment.items():
        groups[cluster].append(record)
    return groups


def pairwise(predicted: Mapping[str, str], truth: Mapping[str, str]) -> dict[str, int | float]:
    """Pairwise precision, recall and F1 of the pairs inside predicted clusters.

    Args:
        predicted: record id → predicted cluster id.
        truth: record id → true entity id.

    A record absent from one mapping is alone in its own cluster there (a singleton makes no pair),
    so a caller may pass only the records inside clusters. The pairs are counted from the cluster
    sizes and their overlaps (never listed), so a large cluster costs no memory.

    Returns:
        ``true_pairs``, ``predicted_pairs``, ``true_positive_pairs`` (ints), ``pairwise_precision``,
        ``pairwise_recall``, ``pairwise_f1`` (floats, 6 decimals; precision 1.0 when no pair was
        predicted, recall 1.0 when there is no true pair, F1 0.0 when both are 0).
    """
    tp = 0
    for records in _groups(predicted).values():
        for k in Counter(truth[r] for r in records if r in truth).values():
            tp += k * (k - 1) // 2
    pred_pairs = sum(s * (s - 1) // 2 for s in Counter(predicted.values()).values())
    true_pairs = sum(s * (s - 1) // 2 for s in Counter(truth.values()).values())
    p = tp / pred_pairs if pred_pairs else 1.0
    r = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"true_pairs": true_pairs, "predicted_pairs": pred_pairs, "true_positive_pairs": tp,
            "pairwise_precision": round(p, 6), "pairwise_recall": round(r, 6), "pairwise_f1": round(f1, 6)}


def b3(predicted: Mapping[str, str], truth: Mapping[str, str]) -> dict[str, float]:
    """B³ precision, recall and F1 (Bagga & Baldwin 1998).

    Per record, precision = |C ∩ T| / |C| and recall = |C ∩ T| / |T| for its predicted cluster C
    and true cluster T, averaged over the records of ``predicted``.

    Args:
        predicted: record id → predicted cluster id (every record).
        truth: record id → true entity id (every record).

    Returns:
        ``b3_precision``, ``b3_recall``, ``b3_f1`` (floats, 6 decimals).

    Raises:
        KeyError: a record of ``predicted`` is not in ``truth``.
        ZeroDivisionError: ``predicted`` is empty.
    """
    true_sizes = Counter(truth.values())
    pred_groups = _groups(predicted)
    pred_sizes = {c: len(v) for c, v in pred_groups.items()}
    inter: Counter = Counter()
    for c, rs in pred_groups.items():
        for t, k in Counter(truth[r] for r in rs).items():
            inter[(c, t)] = k
    bp = br = 0.0
    for rec, c in predicted.items():
        k = inter[(c, truth[rec])]
        bp += k / pred_sizes[c]
        br += k / true_sizes[truth[rec]]
    n = len(predicted)
    bp, br = bp / n, br / n
    bf = 2 * bp * br / (bp + br) if bp + br else 0.0
    return {"b3_precision": round(bp, 6), "b3_recall": round(br, 6), "b3_f1": round(bf, 6)}


def pairwise_and_b3(predicted: Mapping[str, str], truth: Mapping[str, str]) -> dict[str, float]:
    """Pairwise precision/recall/F1 of the pairs inside clusters (:func:`pairwise`), and B³ (:func:`b3`).

    Args:
        predicted: record id → predicted cluster id (every record).
        truth: record id → true entity id (every record).

    Returns:
        ``pairwise_precision``, ``pairwise_recall``, ``pairwise_f1``, ``true_pairs``,
        ``predicted_pairs``, ``true_positive_pairs``, ``b3_precision``, ``b3_recall``, ``b3_f1``, in
        this order (the order of ``bench/results/dedup_febrl.json``).

    Raises:
        KeyError: a record of ``predicted`` is not in ``truth``.
    """
    pw = pairwise(predicted, truth)
    order = ("pairwise_precision", "pairwise_recall", "pairwise_f1", "true_pairs", "predicted_pairs", "true_positive_pairs")
    return {**{k: pw[k] for k in order}, **b3(predicted, truth)}
