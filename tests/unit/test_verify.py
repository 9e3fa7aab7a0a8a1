"""casefile verify: SHA256SUMS and manifest.json must both match the files, and each other; nothing
outside the bundle is ever read (issue 13 defect 11).

The bundles here are written with hashlib and the coreutils SHA256SUMS format directly, not with the
export stage's writers, and GNU ``sha256sum -c`` (an independent verifier) shows which tampering it
lets through: those are the cases casefile verify must catch.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess

import pytest

from jobs.cli import main
from jobs.cli.bundles import verify_bundle
from jobs.common.custody import check_bundle, shown_name, verify_sha256sums

try:
    hashlib.new("sm3")
    ALGORITHMS = ("sha256", "md5", "sm3")
except ValueError:
    ALGORITHMS = ("sha256", "md5")

DATA = {"records.csv": b"\xef\xbb\xbfrecord_id,name_raw\nr1,x\n", "summary.json": b'{"unique_records": 1}\n',
        "validation/records.json": b'{"success": true}'}


def hashes(data: bytes) -> dict:
    return {"bytes": len(data), **{a: hashlib.new(a, data).hexdigest() for a in ALGORITHMS}}


def write_sums(folder, names) -> None:
    """coreutils ``sha256sum`` text-mode lines, sorted by path."""
    lines = [f"{hashlib.sha256((folder / n).read_bytes()).hexdigest()}  {n}\n" for n in sorted(names)]
    (folder / "SHA256SUMS").write_text("".join(lines), encoding="utf-8")


def make_bundle(folder):
    """A bundle as the export stage lays it out: data files, manifest.json over them, a page written
    after the manifest that names its SHA-256, SHA256SUMS over everything."""
    (folder / "validation").mkdir(parents=True, exist_ok=True)
    for name, data in DATA.items():
        (folder / name).write_bytes(data)
    manifest = json.dumps({"case_id": "C1", "files": {n: hashes(d) for n, d in sorted(DATA.items())}}, indent=2, sort_keys=True).encode()
    (folder / "manifest.json").write_bytes(manifest)
    (folder / "summary.html").write_text(f"<p>manifest SHA-256 <code>{hashlib.sha256(manifest).hexdigest()}</code></p>\n")
    write_sums(folder, [*DATA, "manifest.json", "summary.html"])
    return folder


def sha256sum_c(folder) -> int:
    if not shutil.which("sha256sum"):
        pytest.skip("coreutils sha256sum not installed")
    return subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=folder, capture_output=True).returncode


def test_intact_bundle_verifies(tmp_path, capsys):
    make_bundle(tmp_path)
    assert sha256sum_c(tmp_path) == 0
    check = check_bundle(tmp_path)
    assert check.problems == ()
    assert check.files_checked == 5  # each file SHA256SUMS lists, hashed once
    assert check.manifest_sha256 == hashlib.sha256((tmp_path / "manifest.json").read_bytes()).hexdigest()
    assert main(["verify", str(tmp_path)]) == 0
    assert "OK" in capsys.readouterr().out


def test_edited_data_file_with_updated_sha256sums_fails_on_the_manifest(tmp_path, capsys):
    make_bundle(tmp_path)
    (tmp_path / "records.csv").write_bytes(DATA["records.csv"] + b"r2,y\n")  # one invented record
    write_sums(tmp_path, [*DATA, "manifest.json", "summary.html"])
    assert sha256sum_c(tmp_path) == 0  # the defect: SHA256SUMS alone is satisfied
    problems = verify_bundle(tmp_path).problems
    assert problems == (f"records.csv: FAILED ({', '.join(('bytes', *ALGORITHMS))} differ from manifest.json)",
                        "records.csv: SHA256SUMS and manifest.json disagree on its sha256")
    assert main(["verify", str(tmp_path)]) == 3
    assert "records.csv: FAILED" in capsys.readouterr().out


def test_edited_manifest_too_is_caught_by_the_recorded_manifest_digest(tmp_path):
    make_bundle(tmp_path)
    recorded = hashlib.sha256((tmp_path / "manifest.json").read_bytes()).hexdigest()
    forged = DATA["records.csv"] + b"r2,y\n"
    (tmp_path / "records.csv").write_bytes(forged)
    manifest = json.loads((tmp_path / "manifest.json").read_bytes())
    manifest["files"]["records.csv"] = hashes(forged)
    (tmp_path / "manifest.json").write_bytes(json.dumps(manifest).encode())
    new = hashlib.sha256((tmp_path / "manifest.json").read_bytes()).hexdigest()
    (tmp_path / "summary.html").write_text(f"<code>{new}</code>")
    write_sums(tmp_path, [*DATA, "manifest.json", "summary.html"])
    # A consistent rewrite of every seal inside the folder cannot be seen from the folder alone...
    assert check_bundle(tmp_path).ok
    # ...but not against the manifest digest recorded at hand-over.
    assert verify_bundle(tmp_path, manifest_sha256=recorded).problems == (f"manifest.json: sha256 {new} is not the expected {recorded}",)
    assert main(["verify", str(tmp_path), "--manifest-sha256", recorded]) == 3


@pytest.mark.parametrize("entry, reason", [
    ("../outside.txt", "'..' in path, outside the bundle"),
    ("../../etc/passwd", "'..' in path, outside the bundle"),
    ("validation/../../outside.txt", "'..' in path, outside the bundle"),
    ("/etc/passwd", "absolute path, outside the bundle"),
    ("C:/Windows/win.ini", "absolute path, outside the bundle"),
    ("..\\outside.txt", "backslash in path (a Windows separator), refused"),
    ("./records.csv", "'.' or empty component in path, refused"),
    ("validation//records.json", "'.' or empty component in path, refused"),
])
def test_paths_outside_the_bundle_are_refused_never_read(tmp_path, entry, reason):
    bundle = make_bundle(tmp_path / "bundle")
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"not part of the case file\n")
    # The right hash of the outside file: a verifier that followed the path would accept the line.
    line = f"{hashlib.sha256(outside.read_bytes()).hexdigest()}  {entry}\n"
    with open(bundle / "SHA256SUMS", "a", encoding="utf-8") as fh:
        fh.write(line)
    shown = entry.replace("\\", "\\\\")
    assert check_bundle(bundle).problems == (f"SHA256SUMS line 6: {shown}: {reason}",)


def test_traversal_in_the_manifest_is_refused(tmp_path):
    bundle = make_bundle(tmp_path / "bundle")
    (tmp_path / "outside.txt").write_bytes(b"x")
    manifest = json.loads((bundle / "manifest.json").read_bytes())
    manifest["files"]["../outside.txt"] = hashes(b"x")
    (bundle / "manifest.json").write_bytes(json.dumps(manifest).encode())
    (bundle / "summary.html").write_text(hashlib.sha256((bundle / "manifest.json").read_bytes()).hexdigest())
    write_sums(bundle, [*DATA, "manifest.json", "summary.html"])
    assert check_bundle(bundle).problems == ("manifest.json: ../outside.txt: '..' in path, outside the bundle",)


def test_symbolic_links_are_refused_even_with_the_right_hash(tmp_path):
    bundle = make_bundle(tmp_path / "bundle")
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"outside\n")
    (bundle / "link.txt").symlink_to(secret)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "a.csv").write_bytes(b"a\n")
    (bundle / "linked_dir").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    write_sums(bundle, [*DATA, "manifest.json", "summary.html", "link.txt", "linked_dir/a.csv"])  # hashes read through the links
    assert sha256sum_c(bundle) == 0  # sha256sum follows links
    assert check_bundle(bundle).problems == (
        "link.txt: symbolic link, refused (it may point outside the bundle) (listed in SHA256SUMS)",
        "linked_dir/a.csv: missing (listed in SHA256SUMS)",
        "link.txt: symbolic link, refused (it may point outside the bundle)",
        "linked_dir: symbolic link, refused (it may point outside the bundle)",
    )


def test_extra_missing_and_unreadable_entries_are_reported(tmp_path):
    make_bundle(tmp_path)
    (tmp_path / "extra.txt").write_text("x")
    (tmp_path / "validation" / "extra.json").write_text("{}")
    os.mkfifo(tmp_path / "pipe")  # opening a FIFO would block: it must be refused, not read
    (tmp_path / "summary.json").unlink()
    assert check_bundle(tmp_path).problems == (
        "summary.json: missing (listed in SHA256SUMS)",
        "summary.json: missing (listed in manifest.json)",
        "extra.txt: not listed in SHA256SUMS",
        "pipe: not a regular file, refused",
        "validation/extra.json: not listed in SHA256SUMS",
    )


def test_a_listed_file_outside_the_manifest_must_name_the_manifest(tmp_path):
    make_bundle(tmp_path)
    (tmp_path / "added.html").write_text("<p>a page nobody sealed</p>")
    write_sums(tmp_path, [*DATA, "manifest.json", "summary.html", "added.html"])
    assert sha256sum_c(tmp_path) == 0
    assert check_bundle(tmp_path).problems == ("added.html: not covered by manifest.json (listed in SHA256SUMS only)",)


def test_a_file_in_the_manifest_but_not_in_sha256sums(tmp_path):
    make_bundle(tmp_path)
    write_sums(tmp_path, ["records.csv", "validation/records.json", "manifest.json", "summary.html"])
    (tmp_path / "summary.json").unlink()
    assert check_bundle(tmp_path).problems == ("summary.json: missing (listed in manifest.json)",
                                               "summary.json: in manifest.json but not in SHA256SUMS")


@pytest.mark.parametrize("text, problem", [
    ("not a checksum line\n", "SHA256SUMS line 1: malformed (expected '<64 hex>  <path>')"),
    (f"{'0' * 63}  records.csv\n", "SHA256SUMS line 1: malformed (expected '<64 hex>  <path>')"),
    (f"{'0' * 64} records.csv\n", "SHA256SUMS line 1: malformed (expected '<64 hex>  <path>')"),
])
def test_malformed_sha256sums_lines(tmp_path, text, problem):
    make_bundle(tmp_path)
    with open(tmp_path / "SHA256SUMS", "r+", encoding="utf-8") as fh:
        rest = fh.read()
        fh.seek(0)
        fh.write(text + rest)
    assert check_bundle(tmp_path).problems == (problem,)


def test_a_line_listed_twice_and_binary_mode_lines(tmp_path):
    make_bundle(tmp_path)
    sums = (tmp_path / "SHA256SUMS").read_text()
    first = next(line for line in sums.splitlines() if line.endswith("  records.csv"))
    binary = first.replace("  ", " *", 1)  # sha256sum -b writes "<hex> *<name>": accepted
    (tmp_path / "SHA256SUMS").write_text(sums.replace(first, binary) + first + "\n")
    assert check_bundle(tmp_path).problems == ("SHA256SUMS line 6: records.csv listed twice",)


def test_missing_or_broken_seals(tmp_path):
    make_bundle(tmp_path)
    (tmp_path / "SHA256SUMS").write_bytes(b"\xff\xfe not utf-8")
    assert check_bundle(tmp_path).problems[0] == "SHA256SUMS: not UTF-8 text"
    (tmp_path / "SHA256SUMS").unlink()
    assert check_bundle(tmp_path).problems[0] == "SHA256SUMS: missing"
    make_bundle(tmp_path)
    (tmp_path / "manifest.json").write_bytes(b"{not json")
    write_sums(tmp_path, [*DATA, "manifest.json"])
    (tmp_path / "summary.html").unlink()
    assert check_bundle(tmp_path).problems == ("manifest.json: not valid UTF-8 JSON",)


def test_a_bundle_needs_its_manifest_a_plain_folder_does_not(tmp_path):
    make_bundle(tmp_path)
    (tmp_path / "manifest.json").unlink()
    (tmp_path / "summary.html").unlink()
    write_sums(tmp_path, DATA)
    assert check_bundle(tmp_path).problems == ("manifest.json: missing",)
    assert verify_sha256sums(tmp_path) == []  # SHA256SUMS alone, for folders that have no manifest


def test_hostile_file_names_are_escaped_in_the_report(tmp_path, capsys):
    make_bundle(tmp_path)
    (tmp_path / "evil\x1b[2J\u202ename.txt").write_text("x")
    problems = check_bundle(tmp_path).problems
    assert problems == ("evil\\x1b[2J\\u202ename.txt: not listed in SHA256SUMS",)
    assert shown_name("a\\b\nc") == "a\\\\b\\x0ac"
    main(["verify", str(tmp_path)])
    assert "\x1b" not in capsys.readouterr().out


def test_verify_json_and_user_errors(tmp_path, capsys):
    make_bundle(tmp_path)
    (tmp_path / "extra.txt").write_text("x")
    assert main(["verify", "--json", str(tmp_path)]) == 3
    captured = capsys.readouterr()
    doc = json.loads(captured.out)  # stdout is exactly one JSON document
    assert doc["ok"] is False and doc["exit_code"] == 3 and doc["exit_name"] == "VERIFICATION_FAILED"
    assert doc["problems"] == ["extra.txt: not listed in SHA256SUMS"]
    assert doc["manifest_sha256"] == hashlib.sha256((tmp_path / "manifest.json").read_bytes()).hexdigest()
    assert main(["verify", str(tmp_path / "nowhere")]) == 4
    assert main(["verify", str(tmp_path / "extra.txt")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"casefile verify: folder {tmp_path / 'nowhere'} does not exist",
                   f"casefile verify: {tmp_path / 'extra.txt'} is not a folder (give the case file's folder)"]


def test_a_manifest_without_files_is_a_problem_only_for_a_bundle(tmp_path):
    make_bundle(tmp_path)
    (tmp_path / "manifest.json").write_text('{"case_id": "C1"}')
    (tmp_path / "summary.html").unlink()
    write_sums(tmp_path, [*DATA, "manifest.json"])
    assert check_bundle(tmp_path).problems == ("manifest.json: no 'files' object",)
    assert verify_sha256sums(tmp_path) == []
