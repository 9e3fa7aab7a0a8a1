"""The review decisions of a seizure: an append-only, hash-chained log in the case's work store.

Each decision is one write-once object ``review/decisions/<seq>.json`` (:func:`jobs.common.paths.review_entry`)
holding ``seq``, ``time`` (UTC, when the reviewer decided), ``reviewer``, ``kind`` (``pair`` or ``record``),
``target`` (``<record_id>|<record_id>`` in sorted order for a pair, the ``record_id`` for a record),
``decision``, ``reason`` (optional text) and ``prev_sha256``, the SHA-256 of the previous entry's bytes
(``""`` for the first): a hash chain (as in Haber & Stornetta 1991, "How to time-stamp a digital
document"), so an entry changed or deleted is detected by the entry after it. ``review/head.json``
records the number of entries and the last entry's SHA-256, so the last entry is covered too (a
consistent rewrite of every entry and the head is not: record the head's SHA-256 from ``review.csv``'s
count statement at hand-over). The entries hold record ids, never record values.

A later decision on the same target replaces the earlier one when applied (:func:`latest_decisions`);
both stay in the log and in ``review.csv``.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from jobs.common import paths
from jobs.common.custody import canonical_json
from jobs.common.errors import ConfigError, EvidenceIntegrityError
from jobs.common.storage import Storage

#: Decisions a reviewer can give, per kind (issue 17).
DECISIONS: dict[str, tuple[str, ...]] = {"pair": ("same", "different", "unsure"), "record": ("genuine", "untrue")}
#: Longest reviewer name and reason kept (characters).
MAX_REVIEWER, MAX_REASON = 80, 500


class ReviewChainError(EvidenceIntegrityError):
    """The decision log was changed: an entry edited, deleted or added outside the log (names the entry)."""


@dataclass(frozen=True)
class Decision:
    """One entry of the decision log (see the module docstring for the fields)."""

    seq: int
    time: str
    reviewer: str
    kind: str
    target: str
    decision: str
    reason: str
    prev_sha256: str
    why: str = ""  # why the item was in the queue: band, tier, sample (comma-separated); the estimates use ``sample``

    def to_bytes(self) -> bytes:
        return canonical_json(asdict(self))


def pair_target(record_id_a: str, record_id_b: str) -> str:
    """The target of a pair decision: the two record ids sorted, joined by ``|`` (the pair has no direction)."""
    a, b = sorted((record_id_a, record_id_b))
    if a == b:
        raise ConfigError("a pair needs two different records")
    return f"{a}|{b}"


def check_decision(kind: str, target: str, decision: str, reviewer: str, reason: str = "") -> None:
    """Refuse a decision the log would not accept.

    Raises:
        ConfigError: unknown kind or decision, empty or too long reviewer, too long reason, a
            target that is not a record id (or two) of ``[0-9A-Za-z_-]``.
    """
    if kind not in DECISIONS or decision not in DECISIONS[kind]:
        raise ConfigError(f"decision must be one of {DECISIONS.get(kind, ())} for a {kind!r} (got {decision!r})")
    if not reviewer.strip() or len(reviewer) > MAX_REVIEWER:
        raise ConfigError(f"the reviewer's name is required (at most {MAX_REVIEWER} characters)")
    if len(reason) > MAX_REASON:
        raise ConfigError(f"a reason has at most {MAX_REASON} characters")
    ids = target.split("|")
    if len(ids) != (2 if kind == "pair" else 1) or not all(i and all(c.isascii() and (c.isalnum() or c in "_-") for c in i) for i in ids):
        raise ConfigError(f"not a {kind} target")


class DecisionLog:
    """The decision log of one seizure in ``storage``'s ``work`` store."""

    def __init__(self, storage: Storage, case_id: str, seizure_id: str):
        self.storage, self.case_id, self.seizure_id = storage, case_id, seizure_id

    def _key(self, seq: int) -> str:
        return paths.review_entry(self.case_id, self.seizure_id, seq)

    def entries(self) -> list[Decision]:
        """Every entry, in order, after checking the chain.

        Raises:
            ReviewChainError: an entry is missing (deleted), unreadable, out of place, or its bytes
                no longer have the SHA-256 the next entry (or the head) records for it; the
                message names the entry by its number.
        """
        prefix = f"{paths.review_prefix(self.case_id, self.seizure_id)}/decisions"
        keys = self.storage.list("work", prefix) if self.storage.exists("work", prefix) else []
        head_key = paths.review_head(self.case_id, self.seizure_id)
        head = json.loads(self.storage.read_bytes("work", head_key)) if self.storage.exists("work", head_key) else {"entries": 0, "sha256": ""}
        seqs = []
        for k in keys:
            name = Path(k).name
            if not (name.endswith(".json") and name[:-5].isdigit() and len(name) == 13):
                raise ReviewChainError(f"review decision log: unexpected object {name}")
            seqs.append(int(name[:-5]))
        count = max([*seqs, int(head.get("entries", 0))])
        missing = sorted(set(range(1, count + 1)) - set(seqs))
        if missing:
            raise ReviewChainError(f"review decision log: entry {missing[0]} of {count} is missing (deleted)")
        out: list[Decision] = []
        prev = ""
        for seq in range(1, count + 1):
            data = self.storage.read_bytes("work", self._key(seq))
            try:
                entry = Decision(**json.loads(data))
            except (ValueError, TypeError) as exc:
                raise ReviewChainError(f"review decision log: entry {seq} is not a decision ({type(exc).__name__})") from None
            if entry.seq != seq:
                raise ReviewChainError(f"review decision log: entry {seq} says it is entry {entry.seq}")
            if entry.prev_sha256 != prev:
                raise ReviewChainError(f"review decision log: entry {seq - 1} was changed (entry {seq} records another SHA-256 for it)")
            prev = hashlib.sha256(data).hexdigest()
            out.append(entry)
        if count and (int(head.get("entries", 0)) != count or head.get("sha256") != prev):
            raise ReviewChainError(f"review decision log: entry {count} was changed or added outside the log (head.json records "
                                   f"{head.get('entries')} entries and another SHA-256)")
        return out

    def head_sha256(self) -> str:
        """The SHA-256 of the last entry (``""`` when there is none), after checking the chain."""
        e = self.entries()
        return hashlib.sha256(e[-1].to_bytes()).hexdigest() if e else ""

    def append(self, *, reviewer: str, kind: str, target: str, decision: str, reason: str = "", why: str = "", time: str | None = None) -> Decision:
        """Check the chain, then add one decision (a write-once object) and move the head.

        ``time`` defaults to now (UTC, seconds): when the person decided, evidence of the review,
        not a data value of the pipeline.

        Raises:
            ConfigError: see :func:`check_decision`. ReviewChainError: the log was changed.
        """
        check_decision(kind, target, decision, reviewer, reason)
        existing = self.entries()
        prev = hashlib.sha256(existing[-1].to_bytes()).hexdigest() if existing else ""
        when = time or datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        entry = Decision(len(existing) + 1, when, reviewer.strip(), kind, target, decision, reason.strip(), prev, why)
        data = entry.to_bytes()
        with tempfile.TemporaryDirectory(prefix="casefile-review-") as tmp:
            f = Path(tmp) / "entry.json"
            f.write_bytes(data)
            self.storage.put_file("work", self._key(entry.seq), f, write_once=True)
        self.storage.write_bytes("work", paths.review_head(self.case_id, self.seizure_id),
                                 canonical_json({"entries": entry.seq, "sha256": hashlib.sha256(data).hexdigest()}))
        return entry


def latest_decisions(entries: list[Decision]) -> dict[tuple[str, str], Decision]:
    """``(kind, target)`` → the last decision on it (a reviewer may change their mind; the log keeps both)."""
    out: dict[tuple[str, str], Decision] = {}
    for e in entries:
        out[(e.kind, e.target)] = e
    return out
