"""Deduplicate stage: legal category of each record, exact duplicates, counts per category.

Reads the committed ``records`` of normalize; writes ``unique_records`` and ``duplicate_links``
(Parquet) and ``counts.json``. Ledger: records in = unique records + duplicates.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from jobs.common.custody import Ledger, begin_stage, commit_stage, is_committed
from jobs.common.datasets import read_committed, read_json, write_json, write_validated
from jobs.common.schemas import CANONICAL_FIELDS
from jobs.common.stage import StageRun, stage_main
from jobs.deduplicate.transforms import assign_categories, category_counts, exact_duplicates, status_counts, with_content_key

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
    keyed = assign_categories(with_content_key(records), rules, sr.config.item_categories, item_paths)
    unique, links = exact_duplicates(keyed, [r.key for r in rules])
    n_links = write_validated(sr, links, "duplicate_links", "duplicate_links")
    n_unique = write_validated(sr, unique, "unique_records", "unique_records", expected_rows=n_in - n_links)
    ledger = Ledger(STAGE, records_in=n_in, records_out=n_unique, duplicates=n_links).check()
    spark = sr.get_spark()
    unique_back = spark.read.parquet(sr.storage.spark_path("work", f"{_attempt(sr)}/unique_records"))
    counts = {
        "records": n_in,
        "duplicate_records": n_links,
        "unique_records": n_unique,
        "categories": category_counts(unique_back, rules),
        "field_statuses": status_counts(unique_back, CANONICAL_FIELDS),
        "method": {"exact_duplicates": "equal normalized name key, ID number, phone, address, bank card and e-mail; missing equals only missing; survivor = earliest locator (item path, sheet, line)"},
    }
    write_json(sr, "counts.json", counts)
    commit_stage(sr.storage, sr.ctx, STAGE, {"stage": STAGE, "run_id": sr.ctx.run_id, "ledger": ledger.to_dict(),
                                             "datasets": {"unique_records": n_unique, "duplicate_links": n_links},
                                             "config_digest": sr.config.digest()})
    log.info("deduplicate committed: %d records, %d unique, %d duplicates", n_in, n_unique, n_links)


def _attempt(sr: StageRun) -> str:
    from jobs.common import paths

    return paths.stage_attempt(sr.ctx, STAGE)


def main(argv: Sequence[str] | None = None) -> int:
    return stage_main(STAGE, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
