"""``summary.html`` of a published bundle again, from the bundle's own files, in any report language.

The export stage renders the page once, in ``report.language``. A reader who needs the other language
(a defence lawyer's translator, a foreign court) and the screenshots of the README need the same page
from the same numbers without a new pipeline run. Everything the page shows is in the sealed bundle:

- ``summary.json`` (counts, tiers, count statement), ``manifest.json`` (run id, hash algorithms; its
  SHA-256 is the digest the page prints), ``evidence_items.csv`` (the evidence list, cells restored
  per :func:`jobs.export.cells.restore`),
- the per-item chart from ``records.csv`` (``count_status == "untrue"`` per ``item_path``) and
  ``duplicates.csv`` (rows per ``item_path``) — the same counts the export stage takes with Spark
  (``jobs.export.job._per_item``), here with Python's ``csv`` reader, streamed row by row,
- the match-weight histogram of all candidate pairs from ``summary.json`` ``match_weight_histogram``
  (a bundle made before it was there: its probable-duplicate links' ``floor(match_weight)`` from
  ``duplicates.csv``, as the page of that bundle drew it).

So :func:`render_bundle_summary` in the bundle's own language gives the bundle's ``summary.html`` byte
for byte (tests/e2e/test_report_browser.py checks this), and in the other language the same page in
other words. The result is a page to read, not part of the seal: the bundle is never written to.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jobs.export.cells import restore, unlimited_csv_fields
from jobs.export.charts import page_charts, weight_bins_of
from jobs.export.i18n import Catalog
from jobs.export.pages import render_summary

#: evidence_items.csv columns that are counts (integers in intake's evidence_items.json).
_INT_COLUMNS = ("bytes", "rows_read", "records", "rows_quarantined", "header_rows", "blank_lines", "physical_lines",
                "continuation_lines")



def _rows(path: Path) -> Iterator[dict[str, str]]:
    with unlimited_csv_fields(), path.open(encoding="utf-8-sig", newline="") as fh:
        yield from csv.DictReader(fh)


def evidence_items(bundle: Path) -> list[dict[str, Any]]:
    """The evidence items of ``evidence_items.csv`` as intake gave them: text cells restored (the
    apostrophe of :mod:`jobs.export.cells` removed), count columns as ``int``, empty cells left out.

    Raises:
        FileNotFoundError: the bundle has no ``evidence_items.csv``.
        ValueError: a count column holds something other than an integer (names file and row).
    """
    items = []
    path = bundle / "evidence_items.csv"
    for n, row in enumerate(_rows(path), start=2):
        item: dict[str, Any] = {}
        for key, value in row.items():
            if value in (None, ""):
                continue
            if key in _INT_COLUMNS:
                try:
                    item[key] = int(value)
                except ValueError as exc:
                    raise ValueError(f"{path}: row {n}: column {key} is not an integer") from exc
            else:
                item[key] = restore(value)
        items.append(item)
    return items


def chart_counts(bundle: Path, items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[int, int]]:
    """``(per_item, weight_bins)`` for :func:`jobs.export.charts.page_charts`, counted from the
    bundle's ``records.csv`` and ``duplicates.csv``: per item ``path``, ``rows_read``,
    ``quarantined`` (``rows_quarantined``), ``untrue`` (records with ``count_status`` ``untrue``),
    ``duplicated`` (rows of duplicates.csv); bins ``floor(match_weight)`` (bits) → links."""
    untrue: Counter[str] = Counter()
    for r in _rows(bundle / "records.csv"):
        if r.get("count_status") == "untrue":
            untrue[restore(r["item_path"])] += 1
    dups: Counter[str] = Counter()
    bins: Counter[int] = Counter()
    for r in _rows(bundle / "duplicates.csv"):
        dups[restore(r["item_path"])] += 1
        if r.get("match_weight"):
            bins[math.floor(float(r["match_weight"]))] += 1
    per_item = [{"path": i["path"], "rows_read": int(i.get("rows_read") or 0), "quarantined": int(i.get("rows_quarantined") or 0),
                 "untrue": untrue.get(i["path"], 0), "duplicated": dups.get(i["path"], 0)} for i in items if "rows_read" in i]
    return per_item, dict(bins)


def render_bundle_summary(bundle: Path, language: str, *, tier_rule: tuple[float, float] | None = None) -> str:
    """``summary.html`` of the published bundle directory ``bundle`` in ``language`` (``zh-CN`` | ``en``).

    Args:
        bundle: a bundle directory (``summary.json``, ``manifest.json``, ``evidence_items.csv``,
            ``records.csv``, ``duplicates.csv``).
        language: the report language (:data:`jobs.common.config.REPORT_LANGUAGES`).
        tier_rule: weighted totals of 情节严重 / 情节特别严重; ``None``: ``categories.yaml``'s
            ``tier_rule`` of the current configuration (what the export stage used).

    Raises:
        FileNotFoundError: a bundle file is missing.
        jobs.common.config.ConfigError: an unknown language.
    """
    if tier_rule is None:
        from jobs.common.config import load_config

        legal = load_config().legal
        tier_rule = (legal.tier_serious, legal.tier_especially_serious)
    manifest_bytes = (bundle / "manifest.json").read_bytes()
    manifest = json.loads(manifest_bytes)
    summary = json.loads((bundle / "summary.json").read_text(encoding="utf-8"))
    t = Catalog(language)
    items = evidence_items(bundle)
    per_item, link_bins = chart_counts(bundle, items)
    all_pairs = "match_weight_histogram" in summary
    bins = weight_bins_of(summary) if all_pairs else link_bins
    return render_summary(summary, run_id=manifest["run_id"], manifest_digest=hashlib.sha256(manifest_bytes).hexdigest(), catalog=t,
                          items=items, charts=page_charts(summary, per_item, bins, t, all_pairs=all_pairs), hash_algorithms=manifest["hash_algorithms"],
                          tier_rule=tier_rule)
