"""Export stage: build the case-file bundle, validate it, then publish it (write-audit-publish).

Bundle (``casefiles/<case>/<seizure>/<run>/``): ``records.csv``, ``duplicates.csv``,
``quarantine.csv``, ``evidence_items.csv`` (UTF-8 with BOM, for Excel on zh-CN Windows),
``summary.json``, ``summary.html``, ``manifest.json``, ``validation/`` and ``SHA256SUMS``.
``latest`` moves to the run only after every check passed. The data files (CSVs, summary.json)
depend only on the inputs, code and configuration, never on the run or the clock.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from jobs.common import paths
from jobs.common.custody import (HASH_ALGORITHMS, Ledger, begin_stage, canonical_json, code_version, commit_stage, is_committed,
                                 library_versions, read_stage_manifest, write_sha256sums)
from jobs.engine.datasets import read_committed, read_json
from jobs.common.errors import LedgerError
from jobs.engine.schemas import QUARANTINE
from jobs.engine.stage import StageRun, stage_main
from jobs.engine.validation import validate
from jobs.export.bundle import csv_ready, evidence_items_csv, publish, record_columns, write_csv, write_manifest
from jobs.export.pages import render_summary
from jobs.export.summary import bound_summaries, category_summary, count_statement, headline_tier

log = logging.getLogger("casefile")
STAGE = "export"


def run(sr: StageRun) -> None:
    if is_committed(sr.storage, sr.ctx, STAGE):
        log.info("export already committed for run %s: nothing to do", sr.ctx.run_id)
        return
    manifests = {s: read_stage_manifest(sr.storage, sr.ctx, s) for s in ("intake", "normalize", "deduplicate")}
    attempt = begin_stage(sr.storage, sr.ctx, STAGE)
    bundle_key = paths.casefile_prefix(sr.ctx)
    bundle_attempt = paths.casefile_attempt(sr.ctx)
    sr.storage.delete_prefix("casefiles", bundle_attempt)
    sr.storage.delete_prefix("casefiles", bundle_key)  # an unpublished bundle left by a failed attempt
    out = Path(sr.storage.spark_path("casefiles", bundle_attempt))
    out.mkdir(parents=True)

    unique = read_committed(sr, "deduplicate", "unique_records")
    links = read_committed(sr, "deduplicate", "duplicate_links")
    quarantine = read_committed(sr, "intake", "quarantine", schema=QUARANTINE)
    items = read_json(sr, "intake", "evidence_items.json")
    counts = read_json(sr, "deduplicate", "counts.json")

    n_unique_in = manifests["deduplicate"]["datasets"]["unique_records"]
    n_records = write_csv(csv_ready(unique), record_columns(unique.columns), ["item_path", "sheet", "line_number", "record_id"], out / "records.csv",
                          sr.storage.spark_path("work", f"{attempt}/csv/records"))
    link_cols = ["record_id", "survivor_record_id", "reason", "content_key", "item_sha256", "item_path", "sheet", "line_number",
                 "linked_record_id", "match_weight", "match_probability", *sorted(c for c in links.columns if c.startswith("level_"))]
    n_dups = write_csv(links, [c for c in link_cols if c in links.columns],
                       ["item_path", "sheet", "line_number", "record_id"], out / "duplicates.csv", sr.storage.spark_path("work", f"{attempt}/csv/duplicates"))
    n_quar = write_csv(quarantine, ["item_sha256", "item_path", "sheet", "line_number", "byte_offset", "stage", "reason_code", "raw_line"],
                       ["item_path", "sheet", "line_number"], out / "quarantine.csv", sr.storage.spark_path("work", f"{attempt}/csv/quarantine"))
    evidence_items_csv(items, out / "evidence_items.csv")

    # Audit: the published files must reproduce every stage's ledger exactly.
    ledger = Ledger(STAGE, records_in=n_unique_in, records_out=n_records).check()
    li, ld = manifests["intake"]["ledger"], manifests["deduplicate"]["ledger"]
    n_probable = int(manifests["deduplicate"]["datasets"].get("probable_duplicates", 0))
    if n_quar != li["quarantined"] or n_dups != ld["duplicates"] + n_probable or ld["records_in"] != li["records_out"]:
        raise LedgerError(f"bundle does not reproduce the stage ledgers: quarantine.csv {n_quar} vs {li['quarantined']}, duplicates.csv {n_dups} vs {ld['duplicates']} + {n_probable}")
    published = sr.get_spark().read.option("header", True).option("multiLine", True).option("escape", '"').csv(str(out / "records.csv"))
    report = validate(published, "casefile_records", extra_expectations=[{"type": "expect_table_row_count_to_equal", "kwargs": {"value": n_unique_in}}])
    (out / "validation").mkdir()
    (out / "validation" / "casefile_records.json").write_bytes(report.to_json_bytes())
    report.raise_for_failure()
    for stage in ("intake", "normalize", "deduplicate"):
        for key in sr.storage.list("work", f"{paths.stage_data(sr.ctx, stage)}/validation"):
            (out / "validation" / Path(key).name).write_bytes(sr.storage.read_bytes("work", key))

    rules = sr.config.categories
    exact_view = category_summary(counts["categories"], rules, insider=sr.config.insider,
                                  tier_serious=sr.config.tier_serious, tier_especially_serious=sr.config.tier_especially_serious)
    bounds = bound_summaries(counts, rules, insider=sr.config.insider, tier_serious=sr.config.tier_serious,
                             tier_especially_serious=sr.config.tier_especially_serious)
    raw_rows = li["records_in"]
    summary = {
        "case_id": sr.ctx.case_id,
        "seizure_id": sr.ctx.seizure_id,
        "raw_rows": raw_rows,
        "quarantined_rows": li["quarantined"],
        "records": li["records_out"],
        "duplicate_records": ld["duplicates"],
        "unique_records": ld["records_out"],
        "categories": exact_view["categories"],
        **headline_tier(bounds),
        "insider": sr.config.insider,
        "count_statement": count_statement(raw_rows, li["quarantined"], li["records_out"], counts, rules),
        **bounds,
        "field_statuses": counts["field_statuses"],
        "config_digest": sr.config.digest(),
    }
    (out / "summary.json").write_bytes(canonical_json(summary))

    manifest_bytes = write_manifest(out, {
        "case_id": sr.ctx.case_id, "seizure_id": sr.ctx.seizure_id, "run_id": sr.ctx.run_id,
        "code_version": code_version(), "config_digest": sr.config.digest(), "libraries": library_versions(),
        "evidence_items": [{"path": i["path"], "bytes": i["bytes"], **{a: i[a] for a in HASH_ALGORITHMS if a in i}} for i in items],
        "ledgers": {**{s: m["ledger"] for s, m in manifests.items()}, STAGE: ledger.to_dict()},
        "hash_algorithms": list(HASH_ALGORITHMS),
    })
    import hashlib

    (out / "summary.html").write_text(render_summary(summary, run_id=sr.ctx.run_id, manifest_digest=hashlib.sha256(manifest_bytes).hexdigest()), encoding="utf-8")
    write_sha256sums(out)

    publish(sr.storage, bundle_attempt, bundle_key, paths.latest_pointer(sr.ctx.case_id, sr.ctx.seizure_id), sr.ctx.run_key)
    commit_stage(sr.storage, sr.ctx, STAGE, {"stage": STAGE, "run_id": sr.ctx.run_id, "ledger": ledger.to_dict(),
                                             "bundle": bundle_key, "summary": {k: summary[k] for k in ("raw_rows", "unique_records", "weighted_total", "tier")},
                                             "config_digest": sr.config.digest()})
    log.info("export published %s: %d unique records, tier %s", bundle_key, n_records, summary["tier"])


def main(argv: Sequence[str] | None = None) -> int:
    return stage_main(STAGE, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
