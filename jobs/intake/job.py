"""Intake stage: register and hash the evidence items, parse them in parallel, map columns,
quarantine malformed rows, validate, commit.

Archives are expanded first (:mod:`jobs.intake.archives`): their members become evidence items
with their own hashes and ``parent_sha256``; refused members are listed with their reason. The
members are written to ``<attempt>/_extracted`` (the run's work area, never the evidence store)
and removed before the commit: they can be re-extracted from the sealed original.

Outputs (``work/<case>/<seizure>/<run>/intake/data/``): ``raw_records`` and ``quarantine``
(Parquet), ``evidence_items.json`` (one entry per item: hashes, format, encoding and confidence,
counts, line ledger, column mapping and why; archive members with parent and member path;
refusals), ``validation/``. Ledgers: rows read = raw records + quarantined rows (stage and item);
physical lines = rows + header + blank + continuation lines (item, see ``jobs.intake.formats``).
"""

from __future__ import annotations

import argparse
import logging
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jobs.common.config import ArchiveLimits
from jobs.common.custody import Ledger
from jobs.common.errors import LedgerError
from jobs.engine.schemas import QUARANTINE, RAW_RECORD
from jobs.engine.stage import Stage, StageResult, StageRun
from jobs.intake.archives import expand_archive, seizure_passwords
from jobs.intake.evidence import MANIFEST_KEY, REGISTER, folder_refusals, register_evidence, sealed_register_bytes, verify_item
from jobs.intake.refusals import TOO_MANY_ITEMS, refused_fields
from jobs.intake.worker import parse_item_to_parquet, write_empty_parts

log = logging.getLogger("casefile")
STAGE = "intake"


def expand_items(originals: list[dict[str, Any]], work_dir: Path, limits: ArchiveLimits,
                 max_items: int | None = None, passwords: Sequence[str] = ()) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Expand archives and list what to parse.

    Args:
        originals: registered items, each with ``local_path`` (verified), in path order.
        work_dir: extraction folder inside the intake attempt.
        limits: archive limits.
        max_items: items per seizure (``intake.max_items``; ``None``: no limit): originals and
            archive members beyond it are refused (``too_many_items``).
        passwords: the seizure's archive passwords (:func:`jobs.intake.archives.seizure_passwords`).

    Returns:
        ``(entries, items)``: every evidence item in order (each original, then the members of an
        archive right after it), each with its ``index``; and the parse tasks (``index``, ``path``,
        ``local_path``, ``sha256``, ``name``) for :func:`parse_item_to_parquet`. An item with the
        SHA-256 of an earlier one is a duplicate (``status = "duplicate"``, ``duplicate_of``): it
        is not parsed (nor expanded), so its rows are read once (their record ids would collide).
    """
    entries: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    seizure = {"items": 0, "max": max_items if max_items is not None else 1 << 62}
    for entry in originals:
        if seizure["items"] >= seizure["max"]:
            entries.append({**entry, "local_path": None, **refused_fields(TOO_MANY_ITEMS)})
            continue
        seizure["items"] += 1
        first = seen.setdefault(entry["sha256"], entry["path"])
        if first != entry["path"]:
            entries.append({**entry, "local_path": None, "status": "duplicate", "duplicate_of": first,
                            "format": f"duplicate_of:{first}", "rows_read": 0, "records": 0, "rows_quarantined": 0})
            continue
        local = Path(entry["local_path"])
        kind, members = expand_archive(entry, local, work_dir, limits, seizure=seizure, seen=seen, passwords=passwords)
        if kind is None:
            entries.append(dict(entry))
            continue
        head = {**entry, "local_path": None, "format": f"archive:{kind}",
                "members": sum(m["status"] == "extracted" for m in members),
                "members_refused": sum(m["status"] == "refused" for m in members)}
        log.info("archive item %s: %s, %d members extracted, %d refused", entry["path"], kind, head["members"], head["members_refused"])
        entries.append(head)
        entries.extend(members)
    items = []
    for index, entry in enumerate(entries):
        entry["index"] = index
        if entry.get("local_path") and entry.get("status", "extracted") == "extracted" and not entry.get("archive_kind"):
            items.append({"index": index, "path": entry["path"], "local_path": entry["local_path"],
                          "sha256": entry["sha256"], "name": entry.get("name") or Path(entry["path"]).name})
    return entries, items


_REFUSAL_KEYS = ("path", "path_bytes_escaped", "sha256", "parent_sha256", "member_path", "refusal_reason", "refusal_detail")


def evidence_item_entries(entries: list[dict[str, Any]], parsed: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Join the parse results onto the evidence items and check each item's ledgers.

    Returns:
        ``(evidence_items, parsed stats in item order, refusals)``; refusals (every item with
        ``status = "refused"``: by the evidence folder scan, the archive expansion or the parser)
        are ``{"path", "refusal_reason", ...}`` (see :mod:`jobs.intake.refusals`).

    Raises:
        LedgerError: naming the item whose rows or lines do not balance.
    """
    by_index = {s["index"]: s for s in parsed}
    evidence_items, stats, refusals = [], [], []
    for entry in entries:
        st = by_index.get(entry.get("index"))
        clean = {k: v for k, v in entry.items() if k not in ("local_path", "index", "name")}
        if st is not None:
            clean = {**clean, **{k: v for k, v in st.items() if k not in ("index", "path")}}
            if st.get("status") != "refused":
                stats.append(st)
                if st["rows_read"] != st["records"] + st["rows_quarantined"] or not st["line_ledger"]["balanced"]:
                    raise LedgerError(f"item {entry['path']!r}: ledger does not balance: rows read {st['rows_read']}, records "
                                      f"{st['records']}, quarantined {st['rows_quarantined']}, lines {st['line_ledger']}")
        else:
            # An archive (its members follow it), a duplicate, or a refused item: nothing parsed.
            clean.setdefault("format", f"archive:{clean.get('archive_kind', '')}")
            clean.update({k: clean.get(k, 0) for k in ("rows_read", "records", "rows_quarantined")})
        clean.setdefault("bytes", None)
        if clean.get("status") == "refused":
            refusals.append({k: clean[k] for k in _REFUSAL_KEYS if k in clean})
        evidence_items.append(clean)
    return evidence_items, stats, refusals


class IntakeStage(Stage):
    """Register and verify the evidence, expand archives, parse every item in its own Spark task."""

    name = STAGE

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--evidence", default="", help="folder of seized files to register (empty: the seizure already in the evidence store)")

    def build(self, run: StageRun, *, evidence: str = "") -> StageResult:
        """Args:
            evidence: folder of seized files to register; empty: the seizure is already in the
                evidence store (registered by an earlier run or uploaded with its READY marker).
        """
        register = register_evidence(run.storage, run.ctx.case_id, run.ctx.seizure_id, evidence or None, run_id=run.ctx.run_id)
        # The register's seal goes into this run's manifest (issue 13, defect 11): the next read checks it.
        register_bytes, register_sha256 = sealed_register_bytes(run.storage, run.ctx.case_id, run.ctx.seizure_id)
        # This run's copy of the register as sealed: its case file carries it (a later run may
        # register more items and rewrite the seizure's register).
        run.storage.write_bytes("work", f"{run.attempt}/{REGISTER}", register_bytes)
        attempt_path = run.location()
        settings = run.config.intake
        extracted = Path(attempt_path) / "_extracted"
        originals = [{**entry, "local_path": str(verify_item(run.storage, run.ctx.case_id, run.ctx.seizure_id, entry))} for entry in register]
        entries, items = expand_items(originals, extracted, settings.archives, settings.max_items,
                                      passwords=seizure_passwords(run.ctx.seizure_id))
        # Links and FIFOs of the evidence folder: listed, never opened (jobs.intake.refusals).
        entries.extend({**r, "index": None, "bytes": None, **refused_fields(r["refusal_reason"])}
                       for r in folder_refusals(run.storage, run.ctx.case_id, run.ctx.seizure_id))

        synonyms = {k: list(v) for k, v in run.config.synonyms.items()}
        parse_settings = settings.to_dict()
        # One Spark task per item, largest first, so that the big items start at once and the small
        # ones fill the other cores (longest-processing-time-first scheduling).
        items.sort(key=lambda it: (-Path(it["local_path"]).stat().st_size, it["index"]))
        parsed = (
            run.spark.sparkContext.parallelize(items, max(1, len(items)))
            .map(lambda item: parse_item_to_parquet(item, attempt_path, synonyms, parse_settings))
            .collect()
        ) if items else []
        if not items:
            write_empty_parts(attempt_path)
        shutil.rmtree(extracted, ignore_errors=True)
        evidence_items, stats, refusals = evidence_item_entries(entries, parsed)
        for st in stats:
            log.info("item %s: format=%s encoding=%s rows=%d quarantined=%d", st["path"], st["format"], st["encoding"], st["rows_read"], st["rows_quarantined"])
        for ref in refusals:
            log.warning("item %s refused: %s %s", ref["path"], ref["refusal_reason"], ref.get("refusal_detail", ""))
        duplicates = [{"path": e["path"], "duplicate_of": e["duplicate_of"], "sha256": e["sha256"]}
                      for e in evidence_items if e.get("status") == "duplicate"]
        for dup in duplicates:
            log.info("item %s is byte-identical to %s: read once", dup["path"], dup["duplicate_of"])

        rows_read = sum(s["rows_read"] for s in stats)
        n_records = sum(s["records"] for s in stats)
        n_quarantined = sum(s["rows_quarantined"] for s in stats)
        ledger = Ledger(STAGE, records_in=rows_read, records_out=n_records, quarantined=n_quarantined).check()
        # The Spark tasks wrote the attempt's Parquet files: validate them where they are.
        run.publish_written("raw_records", suite="raw_records", schema=RAW_RECORD, expected_rows=n_records)
        run.publish_written("quarantine", suite="quarantine", schema=QUARANTINE, expected_rows=n_quarantined)
        run.write_json("evidence_items.json", evidence_items)
        return StageResult(ledger, {
            "items": [{"path": e["path"], "sha256": e.get("sha256"), **({"parent_sha256": e["parent_sha256"]} if "parent_sha256" in e else {})}
                      for e in evidence_items],
            "refusals": refusals,
            "duplicate_items": duplicates,
            MANIFEST_KEY: register_sha256,
            "intake_settings": parse_settings, "intake_settings_digest": settings.digest(),
        }, f"intake committed: {rows_read} rows read, {n_records} raw records, {n_quarantined} quarantined, "
           f"{len(refusals)} items refused, {len(duplicates)} duplicate items read once")


if __name__ == "__main__":
    raise SystemExit(IntakeStage().main())
