"""Accuracy of the probable duplicates of a case file against a generator's ``linkage_truth.csv``.

The generator (``jobs.synth``) knows which unique records re-state the person of an
earlier record (a name typo, a field missing, an address typo, another field set) and writes one
line per such record: the SHA-256 of its normalized key and of the key of the person's first record
(:func:`jobs.synth.contract.record_key_sha256`). A case file's ``records.csv`` holds one row per unique
record with the normalized ``name_key``, ``id_number``, ``phone``, ``address``, ``bank_card``,
``email``, the second party's ``sender_name_key``, ``sender_phone``, ``sender_address`` (empty
outside two-party rows) and ``probable_survivor_record_id`` (the record kept for its probable cluster, empty
outside a cluster). This module hashes each row the generator's way, so truth and prediction meet
on the record without any value leaving the files, and scores the pairs.

Metrics (Christen 2012, *Data Matching*, ch. 7; :func:`jobs.evaluation.metrics.pairwise`): a pair of
unique records is a true pair when both belong to the same person, a predicted pair when both are in
the same probable cluster; pairwise precision = |true ∩ predicted| / |predicted|, recall =
|true ∩ predicted| / |true|. Singletons make no pair, so only records inside a true or predicted
cluster are held in memory.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

from jobs.evaluation.metrics import pairwise
from jobs.export.cells import unlimited_csv_fields

#: records.csv columns hashed in this order (the generator's CANONICAL_FIELDS order, then the second
#: party of a two-party row; each name as its comparison key, traditional characters folded, as the
#: exact-duplicate key uses it). The sender is in: two waybills of one receiver from two senders are
#: two records (issue 12 defect 4), and a six-column name would give them one name.
KEY_COLUMNS: tuple[str, ...] = ("name_key", "id_number", "phone", "address", "bank_card", "email",
                                "sender_name_key", "sender_phone", "sender_address")


def evaluate_probable_duplicates(records_csv: str | Path, linkage_truth_csv: str | Path) -> dict[str, Any]:
    """Pairwise precision, recall and F1 of the probable clusters of ``records_csv``.

    Args:
        records_csv: a case file's ``records.csv`` (UTF-8 with BOM; one row per unique record).
        linkage_truth_csv: the generator's ``linkage_truth.csv``.

    Returns:
        ``true_pairs``, ``predicted_pairs``, ``true_positive_pairs`` (ints), ``pairwise_precision``,
        ``pairwise_recall``, ``pairwise_f1`` (floats, 6 decimals; precision 1.0 when nothing was
        predicted), ``truth_records`` (data lines of the truth file), ``unmatched_truth_records``
        (truth lines whose record or person key no row of ``records_csv`` has: a disagreement
        between the generator's and the pipeline's normalization), ``by_kind`` (per truth kind:
        ``records`` and ``found``, a record counted found when it shares a predicted cluster with
        its person's first record).

    Raises:
        FileNotFoundError: either file is missing.
        ValueError: the truth file has no header naming its columns, or repeats a record key.
        KeyError: ``records_csv`` lacks a column of :data:`KEY_COLUMNS`, ``record_id`` or
            ``probable_survivor_record_id``.
    """
    from jobs.synth.contract import record_key_sha256

    truth: dict[str, tuple[str, str]] = {}
    with open(linkage_truth_csv, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        need = ("record_key_sha256", "person_key_sha256", "kind")
        if not set(need) <= set(reader.fieldnames or ()):
            raise ValueError(f"{linkage_truth_csv}: not a linkage truth file (header must name {', '.join(need)})")
        for line, row in enumerate(reader, start=2):
            if row["record_key_sha256"] in truth:
                raise ValueError(f"{linkage_truth_csv}: line {line} repeats a record key")
            truth[row["record_key_sha256"]] = (row["person_key_sha256"], row["kind"])
    wanted = set(truth) | {p for p, _ in truth.values()}
    record_of_key: dict[str, str] = {}
    predicted: dict[str, str] = {}
    with unlimited_csv_fields(), open(records_csv, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in (*KEY_COLUMNS, "record_id", "probable_survivor_record_id") if c not in (reader.fieldnames or [])]
        if missing:
            raise KeyError(f"{records_csv}: no column {', '.join(missing)}")
        for row in reader:
            rid = row["record_id"]
            survivor = row["probable_survivor_record_id"]
            if survivor:
                predicted[rid] = survivor
            digest = record_key_sha256(tuple(row[c] or "" for c in KEY_COLUMNS))
            if digest in wanted:
                record_of_key[digest] = rid
    truth_groups: dict[str, list[str]] = {}
    unmatched = 0
    for record_key, (person_key, _) in truth.items():
        rid, root = record_of_key.get(record_key), record_of_key.get(person_key)
        if rid is None or root is None:
            unmatched += 1
            continue
        truth_groups.setdefault(root, [root])
        truth_groups[root].append(rid)
    person_of = {rid: root for root, members in truth_groups.items() for rid in members}
    scores = pairwise(predicted, person_of)
    by_kind: dict[str, Counter] = {}
    for record_key, (person_key, kind) in truth.items():
        c = by_kind.setdefault(kind, Counter())
        c["records"] += 1
        rid, root = record_of_key.get(record_key), record_of_key.get(person_key)
        if rid is not None and root is not None and predicted.get(rid) is not None and predicted.get(rid) == predicted.get(root):
            c["found"] += 1
    return {
        "truth_records": len(truth), "unmatched_truth_records": unmatched, **scores,
        "by_kind": {k: {"records": v["records"], "found": v["found"]} for k, v in sorted(by_kind.items())},
    }
