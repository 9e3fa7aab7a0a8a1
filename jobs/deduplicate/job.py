"""Deduplicate stage: legal category, exact and probable duplicates, counting status, both bounds.

Reads the committed ``records`` of normalize; writes ``unique_records`` (the exact survivors, with
``count_status``, ``exclusion_reason``, ``probable_survivor_record_id``, ``lower_category``),
``duplicate_links`` (exact links, whose records left ``unique_records``, and probable links between
two unique records, with match weight, probability and comparison levels), ``counts.json`` and
``match_weight_bins.json`` (every candidate pair's match weight per 1-bit bin, for the report's
histogram: :func:`jobs.deduplicate.linkage.scoring.weight_bins`).
Ledger: records in = unique records + exact duplicates (probable duplicates stay in
``unique_records``: they are removed only from the lower bound).
"""

from __future__ import annotations

from jobs.common.custody import Ledger
from jobs.common.errors import ConfigError, LedgerError
from jobs.common.fields import CANONICAL_FIELDS
from jobs.deduplicate.counts import bound_counts, category_counts, status_counts
from jobs.deduplicate.linkage.scoring import WEIGHT_BIN_BITS, weight_bins
from jobs.deduplicate.transforms import deduplicate
from jobs.engine.stage import Stage, StageResult, StageRun
from jobs.review.apply import apply_review
from jobs.review.custody import log_head_sha256
from jobs.review.decisions import DecisionLog

STAGE = "deduplicate"


class DeduplicateStage(Stage):
    """Categories, exact and probable duplicates, counting status and both bounds of one seizure."""

    name = STAGE

    def build(self, run: StageRun) -> StageResult:
        records = run.read_committed("normalize", "records")
        n_in = records.count()
        item_paths = [e["path"] for e in run.read_json("intake", "evidence_items.json")]
        rules = run.config.legal.categories
        counting = run.config.counting.to_dict()
        settings = run.config.linkage
        if not settings.comparisons:
            raise ConfigError("configs/linkage.yaml: the linkage section (comparisons, blocking_rules) is missing")
        unique, links, result = deduplicate(records, rules, settings, counting, item_categories=run.config.legal.item_categories, paths=item_paths)
        # Issue 17: the investigators' review decisions (none: nothing changes); a changed log fails here, naming the entry.
        entries = DecisionLog(run.storage, run.ctx.case_id, run.ctx.seizure_id).entries()
        unique, links, review = apply_review(unique, links, result, settings, [r.key for r in rules], entries)
        links_back = run.publish("duplicate_links", links, suite="duplicate_links")
        n_links = run.datasets["duplicate_links"]
        n_exact = links_back.where("reason IN ('identical_row', 'exact_duplicate')").count()
        unique_back = run.publish("unique_records", unique, suite="unique_records", expected_rows=n_in - n_exact)
        n_unique = run.datasets["unique_records"]
        ledger = Ledger(STAGE, records_in=n_in, records_out=n_unique, duplicates=n_exact).check()
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
            "linkage": {"settings_sha256": settings.digest(), "settings": settings.to_dict(), "counting": counting,
                        "model": result.model.to_dict(), "stats": result.stats},
            "method": {"identical_rows": ("every information column equal after normalization, mapped or unmapped (extra), except the row "
                                          f"identifier columns {list(counting.get('row_identifier_columns') or [])}; removed for the upper bound"),
                       "exact_duplicates": ("same person information: equal normalized name key, ID number, phone, address, bank card and e-mail; "
                                            "missing equals only missing; a row with only unmapped columns is the same record only as an identical "
                                            "row; survivor = earliest locator (item path, sheet, line); removed for the lower bound"),
                       "categories": ("a field raises a record's category only when valid or repaired (a placeholder, wrong-length or non-digit "
                                      "card does not; the Luhn check is a flag); records kept out of a category are counted"),
                       "probable_duplicates": (f"Fellegi–Sunter (1969) match weights, m and λ fitted by EM with u from hash-chosen pairs; "
                                               f"link when P(match) ≥ {settings.threshold_match_probability} and the guard rails hold "
                                               f"(two different valid ID numbers never link; missing vs missing is no evidence; a shared phone or "
                                               f"address alone never links); clusters never hold two different valid ID numbers; survivor = earliest locator"),
                       "untrue": "a field with an untrue reason code (configs/linkage.yaml counting.untrue): excluded with the reason",
                       "masked": "a masked field and nothing valid that identifies the person: excluded",
                       "bare_phone": "a phone and nothing else: counted on its own line, outside tier_5000 (contested)"},
        }
        if review.decisions:
            counts["review"] = review.to_dict()
        if entries:  # which log entries were applied: export reads exactly these, never one added since
            counts["review_log"] = {"entries": len(entries), "head_sha256": log_head_sha256(entries)}
        run.write_json("counts.json", counts)
        bins = weight_bins(result.scored)  # all candidate pairs, not only the links (issue 15)
        if sum(n for _, n in bins) != result.stats["candidate_pairs"]:
            raise LedgerError(f"match-weight histogram holds {sum(n for _, n in bins)} pairs, not the {result.stats['candidate_pairs']} candidate pairs")
        run.write_json("match_weight_bins.json", {"bin_width_bits": WEIGHT_BIN_BITS, "candidate_pairs": sum(n for _, n in bins),
                                                  "threshold_match_weight": result.stats["threshold_match_weight"],
                                                  "bins": [[k, n] for k, n in bins]})
        return StageResult(ledger, {"datasets": {**run.datasets, "exact_duplicates": n_exact, "probable_duplicates": n_links - n_exact}},
                           f"deduplicate committed: {n_in} records, {n_unique} unique, {n_exact} exact and "
                           f"{n_links - n_exact} probable duplicates, {result.stats['candidate_pairs']} candidate pairs")


if __name__ == "__main__":
    raise SystemExit(DeduplicateStage().main())
