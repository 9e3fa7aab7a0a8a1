"""Shared set-up of the intake tests (corpus, hostile inputs, fuzzer): write generated files as a
seizure and run the intake path on them without Spark, as the Spark tasks would.

``run_intake`` is what tests/unit/test_intake_corpus.py and test_intake_hostile.py each had a copy
of: the files are written in path order (the register's order), archives are expanded by
``jobs.intake.job.expand_items``, every item is parsed by ``jobs.intake.worker.parse_item_to_parquet``
(the function each Spark task runs), and the results are joined, with every item's ledgers checked,
by ``jobs.intake.job.evidence_item_entries``. Nothing here computes an expected value.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from jobs.common.config import ArchiveLimits, IntakeSettings
from jobs.intake.job import evidence_item_entries, expand_items
from jobs.intake.worker import parse_item_to_parquet


@dataclass(frozen=True)
class IntakeResult:
    """What intake made of a generated seizure."""

    items: dict[str, dict[str, Any]]     # evidence item entries by path
    entries: list[dict[str, Any]]        # the same, in item order
    raw: list[dict[str, Any]]            # raw records (RAW_RECORD rows), part order
    quarantine: list[dict[str, Any]]     # quarantined rows (QUARANTINE rows), part order
    refusals: list[dict[str, Any]]       # refused items (path, refusal_reason, ...)

    def __iter__(self):
        """Unpack as ``items, entries, raw, quarantine, refusals`` (the per-format tests do)."""
        return iter((self.items, self.entries, self.raw, self.quarantine, self.refusals))


def read_parts(folder: Path) -> list[dict[str, Any]]:
    """Every row of the Parquet parts in ``folder`` (part order); ``[]`` when there is none."""
    rows: list[dict[str, Any]] = []
    for part in sorted(folder.glob("*.parquet")):
        rows.extend(pq.read_table(part).to_pylist())
    return rows


def write_seizure(folder: Path, files: dict[str, bytes]) -> list[dict[str, Any]]:
    """Write ``files`` (item path → bytes) under ``folder``; return them as registered originals
    (``path``, ``bytes``, ``sha256`` by hashlib, ``local_path``), in path order."""
    originals = []
    for name, data in sorted(files.items()):
        p = folder / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        originals.append({"path": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(), "local_path": str(p)})
    return originals


# The four headers the per-format tests write; the corpus and hostile tests pass their own.
SYNONYMS = {"name": ["姓名"], "id_number": ["身份证号"], "phone": ["手机号"], "address": ["地址"]}


def digests(data: bytes) -> dict[str, str]:
    """SHA-256 and MD5 of ``data``, computed here by hashlib (the independent side of a hash check)."""
    return {"sha256": hashlib.sha256(data).hexdigest(), "md5": hashlib.md5(data).hexdigest()}


def run_intake(tmp_path: Path, files: dict[str, bytes], *, synonyms: dict[str, list[str]] = SYNONYMS,
               limits: ArchiveLimits | None = None, settings: dict | None = None,
               max_items: int | None = None, passwords: tuple[str, ...] = ()) -> IntakeResult:
    """Intake of ``files`` as one seizure (``tmp_path/evidence``, attempt in ``tmp_path/attempt``).

    Args:
        synonyms: column synonyms (field → header names), as configs/column_synonyms.yaml gives them.
        limits: archive limits; default those of ``settings`` (``IntakeSettings.from_dict``).
        settings: intake settings as a dict (``IntakeSettings.to_dict`` keys), passed to the parser.
        max_items: ``intake.max_items``.
        passwords: the seizure's archive passwords, tried in order (``archives.seizure_passwords``).

    Raises:
        LedgerError: an item's ledgers do not balance (from ``evidence_item_entries``).
    """
    originals = write_seizure(tmp_path / "evidence", files)
    out = tmp_path / "attempt"
    limits = limits or IntakeSettings.from_dict(settings).archives
    entries, items = expand_items(originals, out / "_extracted", limits, max_items, passwords=passwords)
    parsed = [parse_item_to_parquet(item, str(out), synonyms, settings) for item in items]
    evidence_items, _, refusals = evidence_item_entries(entries, parsed)
    raw = read_parts(out / "raw_records") if items else []
    quarantine = read_parts(out / "quarantine") if items else []
    return IntakeResult({e["path"]: e for e in evidence_items}, evidence_items, raw, quarantine, refusals)


@dataclass(frozen=True)
class SeizurePair:
    """One seed generated plainly and with one item in another container (``generate_seizure``'s
    ``rar=True`` / ``access=True``): both ground truths and both evidence folders' files (name → bytes)."""

    plain: dict[str, Any]
    packed: dict[str, Any]
    files_plain: dict[str, bytes]
    files_packed: dict[str, bytes]
    evidence_plain: Path
    evidence_packed: Path


def seizure_with_and_without(tmp_path: Path, option: str, plain_name: str, packed_name: str) -> SeizurePair:
    """Generate 1,000 records with seed 5 without and with ``option``; checks that only ``plain_name``
    became ``packed_name`` and that every other file is byte-identical."""
    from jobs.synth import generate_seizure

    plain = generate_seizure(tmp_path / "plain", records=1000, seed=5)
    packed = generate_seizure(tmp_path / option, records=1000, seed=5, **{option: True})
    ev_plain, ev_packed = tmp_path / "plain" / "evidence", tmp_path / option / "evidence"
    files_plain = {p.name: p.read_bytes() for p in ev_plain.iterdir()}
    files_packed = {p.name: p.read_bytes() for p in ev_packed.iterdir()}
    assert set(files_packed) == set(files_plain) - {plain_name} | {packed_name}
    assert all(files_packed[name] == data for name, data in files_plain.items() if name != plain_name)
    return SeizurePair(plain, packed, files_plain, files_packed, ev_plain, ev_packed)
