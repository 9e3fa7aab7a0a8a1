"""A reviewed bundle gets its own run key; its manifest names the run it reviewed and the decision log's head (issue 17)."""

from __future__ import annotations

import hashlib
import json

import pytest

from jobs.common import paths
from jobs.common.custody import write_sha256sums
from jobs.common.storage.local import LocalStorage
from jobs.export.bundle import fetch_bundle, publish
from jobs.review.custody import applied_decisions, bundle_keys, review_manifest_section, reviewed_run_key
from jobs.review.decisions import DecisionLog, ReviewChainError

RUN = "manual__2026-11-29T14:00:00+00:00"


def _decide(log, n):
    for i in range(n):
        log.append(reviewer="王", kind="record", target=f"r{i}", decision="untrue", time="2026-12-03T06:00:00Z")
    return log.entries()


def test_reviewed_key_is_its_own_deterministic_and_changes_with_the_log(tmp_path):
    storage = LocalStorage(tmp_path)
    log = DecisionLog(storage, "C1", "S1")
    ctx = paths.RunContext("C1", "S1", RUN)
    assert bundle_keys(ctx, []) == (paths.casefile_prefix(ctx), paths.casefile_attempt(ctx), ctx.run_key)  # no decision: as before
    two = _decide(log, 2)
    head = json.loads(storage.read_bytes("work", paths.review_head("C1", "S1")))["sha256"]
    last = storage.read_bytes("work", paths.review_entry("C1", "S1", 2))
    assert head == hashlib.sha256(last).hexdigest()
    key = reviewed_run_key(ctx.run_key, two)
    assert key == f"manual__2026-11-29T14-00-00-00-00.review-0002-{head[:12]}"
    assert reviewed_run_key(ctx.run_key, DecisionLog(storage, "C1", "S1").entries()) == key  # same log, same key
    assert bundle_keys(ctx, two) == (f"C1/S1/{key}", f"C1/S1/.{key}.attempt", key)
    three = _decide(log, 1)
    assert reviewed_run_key(ctx.run_key, three) != key


def test_original_stays_sealed_and_the_reviewed_manifest_names_it(tmp_path):
    storage = LocalStorage(tmp_path)
    ctx = paths.RunContext("C1", "S1", RUN)

    def bundle(key, attempt, pointer, text, manifest):
        folder = tmp_path / "build" / pointer
        folder.mkdir(parents=True)
        (folder / "records.csv").write_text(text, encoding="utf-8")
        (folder / "summary.json").write_text("{}", encoding="utf-8")
        (folder / "manifest.json").write_bytes(json.dumps(manifest, sort_keys=True).encode())
        write_sha256sums(folder)
        for f in sorted(folder.iterdir()):
            storage.put_file("casefiles", f"{attempt}/{f.name}", f)
        publish(storage, attempt, key, paths.latest_pointer("C1", "S1"), pointer)

    bundle(*bundle_keys(ctx, []), "original\n", {"run_id": RUN})
    sealed = {k: hashlib.sha256(storage.read_bytes("casefiles", k)).hexdigest() for k in storage.list("casefiles", paths.casefile_prefix(ctx))}
    entries = _decide(DecisionLog(storage, "C1", "S1"), 3)
    section = review_manifest_section(storage, ctx, entries)
    assert section["reviewed_run"] == {"run_id": RUN, "bundle": ctx.run_key, "manifest_sha256": sealed[f"{paths.casefile_prefix(ctx)}/manifest.json"]}
    assert section["decision_log"]["entries"] == 3
    assert section["decision_log"]["head_sha256"] == json.loads(storage.read_bytes("work", paths.review_head("C1", "S1")))["sha256"]
    bundle(*bundle_keys(ctx, entries), "reviewed\n", {"run_id": RUN, "review": section})
    # The original is byte for byte as sealed; latest is the reviewed one, fetched alone (not mixed with the original).
    assert {k: hashlib.sha256(storage.read_bytes("casefiles", k)).hexdigest() for k in storage.list("casefiles", paths.casefile_prefix(ctx))} == sealed
    got = fetch_bundle(storage, "C1", "S1", tmp_path / "pulled")
    assert got.run_key == reviewed_run_key(ctx.run_key, entries)
    assert (got.folder / "records.csv").read_text(encoding="utf-8") == "reviewed\n"
    assert sorted(p.name for p in got.folder.iterdir()) == ["SHA256SUMS", "manifest.json", "records.csv", "summary.json"]


def test_export_takes_only_the_decisions_deduplicate_applied(tmp_path):
    # A decision typed on the page after deduplicate ran must not reach the bundle: its counts were
    # computed without it. The applied head is the SHA-256 of entry 2's stored bytes, read here.
    storage = LocalStorage(tmp_path)
    log = DecisionLog(storage, "C1", "S1")
    _decide(log, 2)
    applied = {"entries": 2, "head_sha256": hashlib.sha256(storage.read_bytes("work", paths.review_entry("C1", "S1", 2))).hexdigest()}
    three = _decide(log, 1)  # added between the two stages
    assert [e.target for e in applied_decisions(three, applied)] == ["r0", "r1"]
    assert applied_decisions(three, None) == []  # deduplicate applied none
    with pytest.raises(ReviewChainError):
        applied_decisions(three[:1], applied)  # fewer entries than were applied
    with pytest.raises(ReviewChainError):
        applied_decisions(three, {"entries": 2, "head_sha256": "0" * 64})  # the applied prefix was rewritten
