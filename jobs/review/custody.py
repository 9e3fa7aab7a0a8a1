"""Custody of a reviewed case file: its own run key, and a manifest that names what it reviewed.

A bundle recomputed with review decisions never replaces the bundle it reviewed (that one stays as
sealed and handed over): it is published under its own key in the ``casefiles`` store,
``<run key>.review-<entries, 4 digits>-<first 12 hex of the decision log's head SHA-256>``
(:func:`reviewed_run_key`), a sibling folder of the run's bundle; the ``latest`` pointer moves to
it. The same run and the same decisions give the same key (a rerun is deterministic); one more
decision gives another key, so every reviewed state stays.

Its ``manifest.json`` gets a ``review`` section (:func:`review_manifest_section`): the run it
reviewed (run id, bundle key, and that bundle's ``manifest.json`` SHA-256 when it exists) and the
decision log it applied (number of entries and the SHA-256 of the last entry, which
``review/head.json`` records).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from jobs.common import paths
from jobs.review.decisions import Decision, ReviewChainError


def log_head_sha256(entries: Sequence[Decision]) -> str:
    """The SHA-256 of the last entry's bytes (``""`` for no entry): what ``review/head.json`` records."""
    return hashlib.sha256(entries[-1].to_bytes()).hexdigest() if entries else ""


def applied_decisions(entries: Sequence[Decision], applied: dict[str, Any] | None) -> list[Decision]:
    """The entries of the (checked, append-only) decision log that the deduplicate stage applied.

    Args:
        entries: :meth:`jobs.review.decisions.DecisionLog.entries` as export reads it.
        applied: deduplicate's ``counts.json`` ``review_log`` (``entries``, ``head_sha256``);
            ``None`` when it applied no decision.

    Returns:
        The first ``applied["entries"]`` entries: a decision added after deduplicate ran is not in
        the bundle, because its counts were not computed with it (the next rerun applies it).

    Raises:
        ReviewChainError: the log holds fewer entries than were applied, or the applied prefix no
            longer ends in the recorded head (the log was rewritten between the two stages).
    """
    n = int((applied or {}).get("entries", 0))
    head = (applied or {}).get("head_sha256", "")
    if len(entries) < n or log_head_sha256(entries[:n]) != head:
        raise ReviewChainError(f"the review decision log no longer holds the {n} entries deduplicate applied (head {head[:12] or '-'})")
    return list(entries[:n])


def reviewed_run_key(run_key: str, entries: Sequence[Decision]) -> str:
    """The bundle key of ``run_key`` recomputed with ``entries`` (module docstring); ``run_key`` itself without decisions.

    Raises:
        ConfigError: the key is not a valid identifier (:func:`jobs.common.paths.check_id`).
    """
    if not entries:
        return run_key
    return paths.check_id("run", f"{run_key}.review-{len(entries):04d}-{log_head_sha256(entries)[:12]}")


def bundle_keys(ctx: paths.RunContext, entries: Sequence[Decision]) -> tuple[str, str, str]:
    """``(bundle key, attempt key, pointer)`` in ``casefiles`` for the export of ``ctx`` with ``entries``:
    the run's own (:func:`jobs.common.paths.casefile_prefix`) without decisions, else the reviewed key's."""
    key = reviewed_run_key(ctx.run_key, entries)
    if key == ctx.run_key:
        return paths.casefile_prefix(ctx), paths.casefile_attempt(ctx), key
    base = paths.evidence_prefix(ctx.case_id, ctx.seizure_id)
    return f"{base}/{key}", f"{base}/.{key}.attempt", key


def review_manifest_section(storage, ctx: paths.RunContext, entries: Sequence[Decision]) -> dict[str, Any]:
    """The ``review`` section of a reviewed bundle's manifest.

    Returns:
        ``reviewed_run`` (``run_id``, ``bundle``: the run's own key, ``manifest_sha256``: of that
        bundle's ``manifest.json``, None when the run has no bundle without decisions) and
        ``decision_log`` (``entries``, ``head_sha256``, ``rule``).
    """
    own = f"{paths.casefile_prefix(ctx)}/manifest.json"
    sealed = hashlib.sha256(storage.read_bytes("casefiles", own)).hexdigest() if storage.exists("casefiles", own) else None
    return {"reviewed_run": {"run_id": ctx.run_id, "bundle": ctx.run_key, "manifest_sha256": sealed},
            "decision_log": {"entries": len(entries), "head_sha256": log_head_sha256(entries),
                             "rule": "SHA-256 of the last decision entry (review/head.json); each entry holds the SHA-256 of the one before"}}
