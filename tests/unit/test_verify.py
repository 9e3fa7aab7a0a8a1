"""casefile verify: SHA256SUMS must cover every file and match each one."""

from __future__ import annotations

import hashlib

from jobs.cli import main
from jobs.cli.bundles import verify_bundle


def make_bundle(folder):
    (folder / "validation").mkdir(parents=True)
    files = {"records.csv": b"\xef\xbb\xbfrecord_id\n", "summary.json": b"{}\n", "validation/records.json": b"{}"}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (folder / "SHA256SUMS").write_text("".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in sorted(files.items())))


def test_intact_bundle_verifies(tmp_path, capsys):
    make_bundle(tmp_path)
    assert verify_bundle(tmp_path) == []
    assert main(["verify", str(tmp_path)]) == 0


def test_changed_missing_and_unlisted_files_are_named(tmp_path, capsys):
    make_bundle(tmp_path)
    (tmp_path / "summary.json").write_bytes(b'{"unique_records": 1}\n')
    (tmp_path / "records.csv").unlink()
    (tmp_path / "extra.txt").write_text("x")
    problems = verify_bundle(tmp_path)
    assert problems == ["records.csv: missing", "summary.json: FAILED (sha256 differs)", "extra.txt: not listed in SHA256SUMS"]
    assert main(["verify", str(tmp_path)]) == 1
    assert "summary.json: FAILED" in capsys.readouterr().out
