"""Case-level report: art. 11 counts over the seizures of one case, and cross-seizure overlap.

This module builds and publishes the report (:func:`make_case_report`); the roles of the seizures
are read by :mod:`jobs.case_report.roles`, the DataFrame counting is :mod:`jobs.case_report.counts`,
and the bundle files (fetch and verify, CSV, manifest, SHA256SUMS, publish) and the page come from
:mod:`jobs.export.bundle`, :mod:`jobs.common.custody` and :mod:`jobs.export.pages`.

A case holds several seizures (one per suspect or per sale). This module reads each seizure's latest
published bundle (``casefiles/<case>/<seizure>/latest``) through the :class:`~jobs.common.storage.Storage`
interface, verifies it against its ``SHA256SUMS`` (an unverified bundle is refused, naming the file),
and writes the case report folder ``casefiles/<case>/_case/<digest>/`` (``_case`` cannot be a seizure
id: ids start with a letter or digit) and ``casefiles/<case>/_case/latest``, or a ``--dest`` folder:

- ``case_summary.json`` / ``case_summary.html``: per seizure its counts (from its ``summary.json``,
  both bounds when present); per suspect the art. 11 count; for the case the distinct records; the
  overlap counts per ordered pair of seizures. Every number names the rule that produced it.
- ``cross_seizure_overlap.csv`` (UTF-8 with BOM): per ordered pair of seizures, the records of one
  that also occur in the other, exact or probable, with the locators on both sides.
- ``manifest.json`` (the input bundles and the SHA-256 of their ``summary.json``/``manifest.json``,
  the roles, the code version, the hashes of every file) and ``SHA256SUMS``.

Counting rules, 法释〔2017〕10号 art. 11 (DOMAIN.md §1):

- item 1 (非法获取公民个人信息后又出售或者提供的，条数不重复计算): a record one suspect obtained and
  then sold counts once for that suspect;
- item 2 (向不同单位或者个人分别出售、提供同一公民个人信息的，条数累计计算): a record one suspect sold
  to different buyers counts once per buyer;
- item 3 (批量公民个人信息的条数，根据查获的数量直接认定，但是有证据证明信息不真实或者重复的除外):
  each seizure counts as seized minus untrue and duplicated records (its own bundle), and the same
  record in two seizures of one suspect is one record.

So for a suspect with seizures of kind ``obtained`` (or plain holdings) and ``sold_to: <buyer>``:
``art11_count = distinct_records + extra_buyer_sales`` where ``distinct_records`` is the number of
distinct records over all the suspect's seizures (items 1 and 3) and ``extra_buyer_sales`` is
``Σ_record max(buyers(record) − 1, 0)`` (item 2). Only records whose ``count_status`` is ``counted``
enter the categories; ``bare_phone`` records are counted on their own line, as in each bundle.

Identity of a record across seizures:

- upper bound: the exact content key (``content_key`` of the bundle, or recomputed from the normalized
  columns of ``records.csv`` with :func:`jobs.deduplicate.transforms.with_content_key`, the function
  the deduplicate stage uses);
- lower bound: records the seizure itself marked as probable duplicates are left out (their
  ``lower_category`` is empty), and records are merged across seizures on a coarser key: the valid ID
  number when there is one, else the name key + valid phone when both are there, else the content key.
  Two different valid ID numbers never share this key (issue 5 guard rail).

Nothing here logs or prints record values: only counts, hashes, seizure ids and locations.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jobs.case_report.counts import OVERLAP_COLUMNS, art11_counts, case_distinct, overlap, overlap_counts, read_records
from jobs.case_report.roles import Role, load_roles
from jobs.common import paths
from jobs.common.config import Config, load_config
from jobs.common.custody import HASH_ALGORITHMS, canonical_json, code_version, write_sha256sums
from jobs.common.errors import ConfigError, EvidenceIntegrityError
from jobs.common.storage import Storage
from jobs.export.bundle import Bundle, fetch_bundle, point_latest, publish, upload, write_csv, write_manifest
from jobs.export.i18n import Catalog
from jobs.export.pages import render_case_summary
from jobs.export.summary import category_summary

log = logging.getLogger("casefile")

#: Folder of the case reports inside ``casefiles/<case>/`` (never a seizure id: ids start alnum).
CASE_DIR = "_case"

ART11_ITEM1 = ("法释〔2017〕10号 art. 11 item 1: a record a suspect obtained and then sold or provided is not counted twice "
               "(非法获取公民个人信息后又出售或者提供的，公民个人信息的条数不重复计算)")
ART11_ITEM2 = ("法释〔2017〕10号 art. 11 item 2: the same record sold or provided to different buyers counts once per buyer "
               "(向不同单位或者个人分别出售、提供同一公民个人信息的，公民个人信息的条数累计计算)")
ART11_ITEM3 = ("法释〔2017〕10号 art. 11 item 3: bulk records count as seized, minus those shown to be untrue or duplicated "
               "(批量公民个人信息的条数，根据查获的数量直接认定，但是有证据证明信息不真实或者重复的除外)")


def case_seizures(storage: Storage, case_id: str) -> list[str]:
    """Seizures of ``case_id`` with a published bundle (a ``latest`` pointer), sorted."""
    prefix = paths.check_id("case_id", case_id)
    out = set()
    for key in storage.list("casefiles", prefix):
        parts = key.split("/")
        if len(parts) == 3 and parts[2] == "latest" and parts[1] != CASE_DIR:
            out.add(parts[1])
    return sorted(out)


# --------------------------------------------------------------------------- the report


def _bound_view(per_bucket: Mapping[str, Mapping[str, int]] | Mapping[str, int], config: Config, insider: bool, value: str | None) -> dict[str, Any]:
    """Per-bucket counts (``value`` of each bucket's dict, or the bucket's int when ``value`` is None) as
    :func:`jobs.export.summary.category_summary` views, with ``unique_records`` and ``bare_phone_records``."""
    get = (lambda b: int((per_bucket.get(b) or {}).get(value, 0))) if value else (lambda b: int(per_bucket.get(b, 0)))
    keys = [r.key for r in config.legal.categories]
    s = category_summary({k: get(k) for k in keys}, config.legal.categories, insider=insider,
                         tier_serious=config.legal.tier_serious, tier_especially_serious=config.legal.tier_especially_serious)
    return {"unique_records": sum(get(k) for k in keys), **s, "bare_phone_records": get("bare_phone")}


def seizure_entry(bundle: Bundle, role: Role) -> dict[str, Any]:
    """Counts of one seizure from its ``summary.json`` (art. 11 item 3), both bounds when present."""
    s = bundle.summary
    entry: dict[str, Any] = {"run": bundle.run_key, **role.to_dict(),
                             **{k: s.get(k) for k in ("raw_rows", "quarantined_rows", "records", "duplicate_records", "unique_records",
                                                      "weighted_total", "tier") if k in s},
                             "categories": {k: v.get("unique_records") for k, v in (s.get("categories") or {}).items()},
                             "rule": ART11_ITEM3}
    for b in ("upper_bound", "lower_bound"):
        if b in s:
            entry[b] = {"unique_records": s[b].get("unique_records"), "weighted_total": s[b].get("weighted_total"), "tier": s[b].get("tier"),
                        "categories": {k: v.get("unique_records") for k, v in s[b].get("categories", {}).items()}}
    if "bare_phone_records" in s:
        entry["bare_phone_records"] = s["bare_phone_records"]
    if "duplicate_levels" in s:  # issue 12: identical rows, same person information, probable; records kept out of a category
        entry["duplicate_levels"] = s["duplicate_levels"]
    if "upper_bound" not in s:
        entry["note"] = "bundle written before count statuses: untrue and masked records are not set apart in its counts"
    return entry


def build_report(spark, bundles: Sequence[Bundle], roles: Mapping[str, Role], config: Config, out: Path, scratch: Path) -> dict[str, Any]:
    """Count the case and write ``cross_seizure_overlap.csv`` to ``out`` (Spark's part files under ``scratch``).

    Returns:
        The case summary (written as ``case_summary.json`` by :func:`make_case_report`, which fills
        ``case_id`` and ``report_id``).
    """
    from pyspark.sql import functions as F

    keys = [r.key for r in config.legal.categories]
    frames = [read_records(spark, b, roles[b.seizure_id], keys) for b in bundles]
    records = frames[0]
    for f in frames[1:]:
        records = records.unionByName(f)
    records = records.localCheckpoint()
    seizures = [b.seizure_id for b in bundles]

    upper = art11_counts(records, keys, "exact_key", "rank")
    lower = art11_counts(records, keys, "lower_key", "lower_rank")
    suspects: dict[str, Any] = {}
    for suspect in sorted({r.suspect for r in roles.values()}):
        own = sorted(s for s, r in roles.items() if r.suspect == suspect)
        buyers = sorted({roles[s].buyer for s in own if roles[s].transaction == "sold"})
        entry: dict[str, Any] = {"seizures": own, "buyers": buyers}
        for name, per in (("upper_bound", upper.get(suspect, {})), ("lower_bound", lower.get(suspect, {}))):
            totals = {v: sum(int(c[v]) for b, c in per.items() if b != "bare_phone") for v in ("distinct_records", "obtained_and_sold", "extra_buyer_sales", "art11_count")}
            entry[name] = {
                **_bound_view(per, config, config.legal.insider, "art11_count"),
                "distinct_records": totals["distinct_records"], "obtained_and_sold": totals["obtained_and_sold"],
                "extra_buyer_sales": totals["extra_buyer_sales"], "art11_count": totals["art11_count"],
                "by_bucket": {b: dict(sorted(c.items())) for b, c in sorted(per.items())},
                "rules": {"distinct_records": ART11_ITEM3 + "; the same record in several seizures of this suspect once",
                          "obtained_and_sold": ART11_ITEM1 + ": records both obtained and sold, counted once",
                          "extra_buyer_sales": ART11_ITEM2 + ": one more for each further buyer of the same record",
                          "art11_count": "distinct_records + extra_buyer_sales (art. 11 items 1, 2 and 3); the categories, weighted total and tier use this count"},
            }
        suspects[suspect] = entry
    pairs = overlap(records).localCheckpoint()
    summary = {
        "case_id": None,  # filled by the caller
        "seizures": {b.seizure_id: seizure_entry(b, roles[b.seizure_id]) for b in bundles},
        "suspects": suspects,
        "case": {name: {**_bound_view(case_distinct(records, keys, k, r), config, config.legal.insider, None),
                        "rule": ART11_ITEM3 + "; across the whole case each record once, whichever seizures hold it (the scale of the case, "
                                "not the count of any one suspect)"}
                 for name, k, r in (("upper_bound", "exact_key", "rank"), ("lower_bound", "lower_key", "lower_rank"))},
        "overlap": overlap_counts(pairs, seizures),
        "overlap_rule": ("records of the first seizure also found in the second: exact = same content key (the deduplicate stage's key); "
                         "probable = same valid ID number, or same name key and valid phone without two different valid ID numbers "
                         "(evidence of upstream/downstream trading between suspects)"),
        "identity": {"upper_bound": "same content key (jobs.deduplicate.transforms.with_content_key)",
                     "lower_bound": "probable duplicates of each seizure left out; across seizures: valid ID number, else name key + valid phone, else content key"},
        "insider": config.legal.insider,
        "config_digest": config.digest(),
    }
    order = [F.col("seizure_id"), F.col("other_seizure_id"), F.col("item_path"), F.col("sheet"), F.col("line_no"), F.col("record_id"),
             F.col("other_item_path"), F.col("other_sheet"), F.col("other_line_no"), F.col("other_record_id")]
    summary["overlap_rows"] = write_csv(pairs, OVERLAP_COLUMNS, order, out / "cross_seizure_overlap.csv", scratch / "cross_seizure_overlap.csv")
    return summary


def make_case_report(case_id: str, *, storage: Storage, config: Config | None = None, spark=None,
                     roles_file: Path | None = None, dest: Path | None = None) -> dict[str, Any]:
    """Build and publish the case report of ``case_id``.

    Args:
        case_id: the case.
        storage: where the bundles are (``casefiles`` store) and where the report goes without ``dest``.
        config: resolved configuration (categories, thresholds, insider); default :func:`load_config`.
        spark: a SparkSession; default :func:`jobs.engine.session.get_spark`.
        roles_file: a roles YAML; default ``configs/cases/<case>.yaml`` when it exists.
        dest: write the report to this local folder (must be empty or absent) instead of the store.

    Returns:
        ``{"location": str, "summary": dict, "manifest_sha256": str}``.

    Raises:
        EvidenceIntegrityError: a bundle does not match its SHA256SUMS (names the file), or a report
            with the same inputs exists with different bytes.
        ConfigError: no seizure with a published bundle, bad roles, or ``dest`` not empty.
    """
    from jobs.common.storage import scratch_root

    config = config or load_config()
    paths.check_id("case_id", case_id)
    if dest is not None and Path(dest).exists() and any(Path(dest).iterdir()):
        raise ConfigError(f"destination {dest} is not empty")
    seizures = case_seizures(storage, case_id)
    if not seizures:
        raise ConfigError(f"no published case file in case {case_id}")
    roles, roles_source = load_roles(case_id, seizures, roles_file)
    root = scratch_root(config)
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="case-report-", dir=root))
    try:
        bundles = [fetch_bundle(storage, case_id, s, work / "in" / s) for s in seizures]
        log.info("case report %s: %d verified bundle(s)", case_id, len(bundles))
        inputs = [b.input_entry() for b in bundles]
        identity = {"case_id": case_id, "inputs": inputs, "roles": {s: r.to_dict() for s, r in sorted(roles.items())},
                    "config_digest": config.digest(), "code_version": code_version()}
        digest = hashlib.sha256(canonical_json(identity)).hexdigest()[:16]
        out = work / "out"
        out.mkdir()
        if spark is None:
            from jobs.engine.session import get_spark

            spark = get_spark("casefile-case-report", conf=config.spark_conf)
        summary = build_report(spark, bundles, roles, config, out, work / "scratch")
        summary["case_id"] = case_id
        summary["report_id"] = digest
        (out / "case_summary.json").write_bytes(canonical_json(summary))
        manifest_bytes = write_manifest(out, {
            "case_id": case_id, "report_id": digest, "inputs": inputs, "roles": identity["roles"], "roles_source": roles_source,
            "code_version": identity["code_version"], "config_digest": config.digest(), "hash_algorithms": list(HASH_ALGORITHMS)})
        # The page in the report language (report.language), its texts and the law's wording from the catalog.
        page = render_case_summary(summary, manifest_digest=hashlib.sha256(manifest_bytes).hexdigest(), catalog=Catalog(config.report_language))
        (out / "case_summary.html").write_text(page, encoding="utf-8")
        write_sha256sums(out)
        if dest is not None:
            target = Path(dest)
            target.mkdir(parents=True, exist_ok=True)
            for p in sorted(out.iterdir()):
                shutil.copyfile(p, target / p.name)
            location = str(target)
        else:
            location = publish_report(storage, case_id, digest, out)
        return {"location": location, "summary": summary, "manifest_sha256": hashlib.sha256(manifest_bytes).hexdigest()}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def publish_report(storage: Storage, case_id: str, digest: str, out: Path) -> str:
    """Upload ``out`` to ``casefiles/<case>/_case/<digest>/`` (attempt folder, then move) and point
    ``_case/latest`` at it. A report with the same digest is kept when its SHA256SUMS is the same.

    Raises:
        EvidenceIntegrityError: a report with the same inputs exists with a different SHA256SUMS.
    """
    base = f"{case_id}/{CASE_DIR}"
    key = f"{base}/{digest}"
    if storage.exists("casefiles", key):
        if storage.read_bytes("casefiles", f"{key}/SHA256SUMS") != (out / "SHA256SUMS").read_bytes():
            raise EvidenceIntegrityError(f"case report {base}/{digest} exists with different content; remove it or change the inputs")
        point_latest(storage, f"{base}/latest", digest)
    else:
        attempt = f"{base}/.{digest}.attempt"
        upload(storage, out, attempt)
        publish(storage, attempt, key, f"{base}/latest", digest)
    return f"casefiles/{key}"
