"""Shared by the per-format intake tests (tests/unit/test_intake_format_*.py): run intake's archive
expansion and parsers on in-memory files, as :func:`jobs.intake.job.IntakeStage.build` does, without Spark."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow.parquet as pq

from jobs.common.config import IntakeSettings
from jobs.intake.job import evidence_item_entries, expand_items
from jobs.intake.worker import parse_item_to_parquet

SYNONYMS = {"name": ["姓名"], "id_number": ["身份证号"], "phone": ["手机号"], "address": ["地址"]}


def run_intake(tmp_path: Path, files: dict[str, bytes], *, settings: dict | None = None, passwords: tuple[str, ...] = ()):
    """Intake of ``files``: ``(items by path, evidence items in order, raw records, quarantine rows, refusals)``."""
    evidence = tmp_path / "evidence"
    originals = []
    for name, data in sorted(files.items()):
        p = evidence / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        originals.append({"path": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(), "local_path": str(p)})
    out = tmp_path / "attempt"
    limits = IntakeSettings.from_dict(settings).archives
    entries, items = expand_items(originals, out / "_extracted", limits, None, passwords=passwords)
    parsed = [parse_item_to_parquet(item, str(out), SYNONYMS, settings) for item in items]
    evidence_items, _, refusals = evidence_item_entries(entries, parsed)
    raw, quarantine = [], []
    for part in sorted((out / "raw_records").glob("*.parquet")) if items else []:
        raw.extend(pq.read_table(part).to_pylist())
    for part in sorted((out / "quarantine").glob("*.parquet")) if items else []:
        quarantine.extend(pq.read_table(part).to_pylist())
    return {e["path"]: e for e in evidence_items}, evidence_items, raw, quarantine, refusals


def digests(data: bytes) -> dict[str, str]:
    """SHA-256 and MD5 of ``data``, computed here by hashlib (the independent side of a hash check)."""
    return {"sha256": hashlib.sha256(data).hexdigest(), "md5": hashlib.md5(data).hexdigest()}
