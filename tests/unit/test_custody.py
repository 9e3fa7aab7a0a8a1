"""Integrity check values against published test vectors, the record ledger, stage commits."""

from __future__ import annotations

import hashlib
import io

import pytest

from jobs.common import paths
from jobs.common.custody import (
    HASH_ALGORITHMS,
    Ledger,
    begin_stage,
    commit_stage,
    hash_stream,
    is_committed,
    read_stage_manifest,
    verify_sha256sums,
    write_sha256sums,
)
from jobs.common.errors import ConfigError, EvidenceIntegrityError, LedgerError, StageNotCommitted
from jobs.common.storage import LocalStorage


def test_hash_vectors_abc():
    h = hash_stream(io.BytesIO(b"abc"))
    assert h["bytes"] == 3
    # FIPS 180-2 appendix B.1 and RFC 1321 appendix A.5
    assert h["sha256"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert h["md5"] == "900150983cd24fb0d6963f7d28e17f72"
    if "sm3" in HASH_ALGORITHMS:  # GB/T 32905-2016 appendix A example 1
        assert h["sm3"] == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_ledger_balances_or_names_the_stage():
    Ledger("deduplicate", records_in=10, records_out=7, duplicates=3).check()
    with pytest.raises(LedgerError, match="deduplicate.*in=10.*out=7.*quarantined=1.*duplicates=3"):
        Ledger("deduplicate", records_in=10, records_out=7, quarantined=1, duplicates=3).check()


def test_stage_commit_is_marker_last_and_attempts_are_cleared(tmp_path):
    storage = LocalStorage(tmp_path)
    ctx = paths.RunContext("C-1", "S1", "manual__2026-01-01T00:00:00+00:00")
    assert not is_committed(storage, ctx, "intake")
    with pytest.raises(StageNotCommitted):
        read_stage_manifest(storage, ctx, "intake")
    attempt = begin_stage(storage, ctx, "intake")
    storage.write_bytes("work", f"{attempt}/x/part-0", b"data")
    assert not is_committed(storage, ctx, "intake")
    commit_stage(storage, ctx, "intake", {"ledger": {"records_in": 1}})
    assert is_committed(storage, ctx, "intake")
    assert storage.read_bytes("work", paths.stage_data(ctx, "intake", "x/part-0")) == b"data"
    assert read_stage_manifest(storage, ctx, "intake") == {"ledger": {"records_in": 1}}
    assert storage.list("work", paths.stage_attempt(ctx, "intake")) == []


def test_local_storage_write_once_and_keys_cannot_escape(tmp_path):
    storage = LocalStorage(tmp_path)
    src = tmp_path / "f.txt"
    src.write_bytes(b"original")
    storage.put_file("evidence", "C/S/f.txt", src, write_once=True)
    with pytest.raises(EvidenceIntegrityError):
        storage.put_file("evidence", "C/S/f.txt", src, write_once=True)
    assert not (tmp_path / "evidence/C/S/f.txt").stat().st_mode & 0o222
    with pytest.raises(ConfigError):
        storage.read_bytes("work", "../evidence/C/S/f.txt")


def test_run_ids_cannot_escape_their_folder():
    with pytest.raises(ConfigError):
        paths.RunContext("../x", "S1", "r")
    assert paths.run_key("manual__2026-11-29T14:00:00+00:00") == "manual__2026-11-29T14-00-00-00-00"


def test_sha256sums_are_written_in_sha256sum_format_and_verify(tmp_path):
    files = {"records.csv": b"\xef\xbb\xbfrecord_id\n", "summary.json": b"{}\n", "validation/records.json": b"{}"}
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    write_sha256sums(tmp_path)
    # coreutils sha256sum text mode: "<64 hex>  <path>", one line per file
    expected = "".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in sorted(files.items()))
    assert (tmp_path / "SHA256SUMS").read_text(encoding="utf-8") == expected
    assert verify_sha256sums(tmp_path) == []
