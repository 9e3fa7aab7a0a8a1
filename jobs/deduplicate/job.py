"""Deduplicate stage: legal category, exact and probable duplicates, counting status, both bounds.

Reads the committed ``records`` of normalize; writes ``unique_records`` (the exact survivors, with
``count_status``, ``exclusion_reason``, ``probable_survivor_record_id``, ``lower_category``),
``duplicate_links`` (exact links, whose records left ``unique_records``, and probable links between
two unique records, with match weight, probability and comparison levels) and ``counts.json``.
Ledger: records in = unique records + exact duplicates (probable duplicates stay in
``unique_records``: they are removed only from the lower bound).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from jobs.common.errors import LedgerError
from jobs.common.custody import Ledger, begin_stage, commit_stage, is_committed
from jobs.engine.datasets import read_committed, read_json, write_json, write_validated
from jobs.engine.schemas import CANONICAL_FIELDS
from jobs.engine.stage import StageRun, stage_main
from jobs.common.config import config_dir
from jobs.deduplicate.counts import bound_counts, category_counts, status_counts
from jobs.deduplicate.linkage.settings import LinkageSettings
from jobs.deduplicate.transforms import deduplicate

log = logging.getLogger("casefile")
STAGE = "deduplicate"


def run(sr: StageRun) -> None:
    if is_committed(sr.storage, sr.ctx, STAGE):
        log.info("deduplicate already committed for run %s: nothing to do", sr.ctx.run_id)
        return
    records = read_committed(sr, "normalize", "records")
    n_in = records.count()
    begin_stage(sr.storage, sr.ctx, STAGE)
    item_paths = [e["path"] for e in read_json(sr, "intake", "evidence_items.json")]
    rules = sr.config.categories
    settings, counting, linkage_digest = load_linkage()
    unique, links, result = deduplicate(records, rules, settings, counting, item_categories=sr.config.item_categories, paths=item_paths)
    n_links = write_validated(sr, links, "duplicate_links", "duplicate_links")
    spark = sr.get_spark()
    links_back = spark.read.parquet(sr.storage.spark_path("work", f"{_attempt(sr)}/duplicate_links"))
    n_exact = links_back.where("reason = 'exact_duplicate'").count()
    n_unique = write_validated(sr, unique, "unique_records", "unique_records", expected_rows=n_in - n_exact)
    ledger = Ledger(STAGE, records_in=n_in, records_out=n_unique, duplicates=n_exact).check()
    unique_back = spark.read.parquet(sr.storage.spark_path("work", f"{_attempt(sr)}/unique_records"))
    keys = [r.key for r in rules]
    bounds = bound_counts(unique_back, keys)
    if bounds["probable_duplicates"] != n_links - n_exact:
        raise LedgerError(f"probable links {n_links - n_exact} != probable duplicates counted {bounds['probable_duplicates']}")
    counts = {
        "records": n_in,
        "duplicate_records": n_exact,
        "unique_records": n_unique,
        "categories": category_counts(unique_back, rules),
        "bounds": bounds,
        "field_statuses": status_counts(unique_back, CANONICAL_FIELDS),
        "linkage": {"settings_sha256": linkage_digest, "settings": settings.to_dict(), "counting": counting,
                    "model": result.model.to_dict(), "stats": result.stats},
        "method": {"exact_duplicates": "equal normalized name key, ID number, phone, address, bank card and e-mail; missing equals only missing; survivor = earliest locator (item path, sheet, line)",
                   "probable_duplicates": (f"Fellegi–Sunter (1969) match weights, m and λ fitted by EM with u from hash-chosen pairs; "
                                           f"link when P(match) ≥ {settings.threshold_match_probability} and the guard rails hold "
                                           f"(two different valid ID numbers never link; missing vs missing is no evidence; a shared phone or "
                                           f"address alone never links); clusters never hold two different valid ID numbers; survivor = earliest locator"),
                   "untrue": "a field with an untrue reason code (configs/linkage.yaml counting.untrue): excluded with the reason",
                   "masked": "a masked field and nothing valid that identifies the person: excluded",
                   "bare_phone": "a phone and nothing else: counted on its own line, outside tier_5000 (contested)"},
    }
    write_json(sr, "counts.json", counts)
    commit_stage(sr.storage, sr.ctx, STAGE, {"stage": STAGE, "run_id": sr.ctx.run_id, "ledger": ledger.to_dict(),
                                             "datasets": {"unique_records": n_unique, "duplicate_links": n_links, "exact_duplicates": n_exact,
                                                          "probable_duplicates": n_links - n_exact},
                                             "config_digest": sr.config.digest()})
    log.info("deduplicate committed: %d records, %d unique, %d exact and %d probable duplicates, %d candidate pairs",
             n_in, n_unique, n_exact, n_links - n_exact, result.stats["candidate_pairs"])


def load_linkage(path=None):
    """``(LinkageSettings, counting rules, SHA-256 of the file)`` from ``configs/linkage.yaml``."""
    import hashlib

    import yaml

    path = path or (config_dir() / "linkage.yaml")
    raw = open(path, "rb").read()
    data = yaml.safe_load(raw.decode("utf-8"))
    return LinkageSettings.from_dict(data["linkage"]), data.get("counting") or {}, hashlib.sha256(raw).hexdigest()


def _attempt(sr: StageRun) -> str:
    from jobs.common import paths

    return paths.stage_attempt(sr.ctx, STAGE)


def main(argv: Sequence[str] | None = None) -> int:
    return stage_main(STAGE, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
