"""Password-protected zip (AES via pyzipper, ZipCrypto), 7z (AES-256, data and headers, py7zr) and
RAR 5 (AES-256, jobs.synth.items.rar) in a seizure: the right password extracts, a wrong or
missing one refuses the item with a reason code, and the rest of the seizure proceeds.

Expected hashes come from hashlib over the bytes put in; the RAR 5 encrypted archive is first
decrypted by unar (another reader) to show the writer is right.
"""

from __future__ import annotations

import io
import shutil
import subprocess

import py7zr
import pytest
import pyzipper
from factories import digests, run_intake

from jobs.intake.archives import seizure_passwords
from jobs.synth.items.rar import RarMember, rar5_bytes

CSV = "姓名,手机号\n张三,13912345678\n李四,13912345679\n".encode("utf-8")
PLAIN = "姓名,手机号\n王五,13712345678\n".encode("utf-8")
SECRET = "案件-2026-口令"  # a synthetic password, non-ASCII on purpose


def aes_zip(password: str) -> bytes:
    """WinZip AES-256 (pyzipper writes no ZipCrypto; reading it is stdlib zipfile's, unchanged)."""
    buf = io.BytesIO()
    with pyzipper.AESZipFile(buf, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES) as zf:
        zf.setpassword(password.encode("utf-8"))
        zf.writestr("名单.csv", CSV)
    return buf.getvalue()


def seven_zip(password: str, *, headers: bool) -> bytes:
    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w", password=password) as z:
        z.set_encrypted_header(headers)
        z.writestr(CSV, "名单.csv")
    return buf.getvalue()


CASES = {
    "zip_aes": lambda pw: aes_zip(pw),
    "7z": lambda pw: seven_zip(pw, headers=False),
    "7z_headers": lambda pw: seven_zip(pw, headers=True),
    "rar5": lambda pw: rar5_bytes([RarMember("名单.csv", CSV)], password=pw),
}
EXT = {"zip_aes": "zip", "7z": "7z", "7z_headers": "7z", "rar5": "rar"}
# Archive-level refusal (7z: one key for the whole archive, names may be encrypted) or member-level.
MEMBER = {"zip_aes": "名单.csv", "7z": "*", "7z_headers": "*", "rar5": "名单.csv"}


@pytest.mark.parametrize("case", sorted(CASES))
def test_right_password_extracts_the_member_with_its_hashes(tmp_path, case):
    archive = f"加密.{EXT[case]}"
    items, entries, raw, quarantine, refusals = run_intake(
        tmp_path, {archive: CASES[case](SECRET), "open.csv": PLAIN}, passwords=("not this one", SECRET))
    member = items[f"{archive}/名单.csv"]
    assert (member["status"], member["sha256"], member["md5"], member["records"]) == (
        "extracted", digests(CSV)["sha256"], digests(CSV)["md5"], 2)
    assert [(r["item_path"], r["name_raw"], r["phone_raw"]) for r in raw] == [  # items in path order
        ("open.csv", "王五", "13712345678"),
        (f"{archive}/名单.csv", "张三", "13912345678"), (f"{archive}/名单.csv", "李四", "13912345679")]
    assert refusals == [] and quarantine == []


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("passwords,reason", [((), "password_missing"), (("wrong", "也不对"), "password_wrong")])
def test_missing_or_wrong_password_refuses_the_item_and_the_rest_proceeds(tmp_path, case, passwords, reason):
    archive = f"加密.{EXT[case]}"
    items, entries, raw, _, refusals = run_intake(tmp_path, {archive: CASES[case](SECRET), "open.csv": PLAIN}, passwords=passwords)
    assert [(r["path"], r["refusal_reason"]) for r in refusals] == [(f"{archive}/{MEMBER[case]}", reason)]
    assert [(r["item_path"], r["name_raw"]) for r in raw] == [("open.csv", "王五")]
    assert not list((tmp_path / "attempt" / "_extracted").rglob("*.csv"))  # nothing of a failed try is left


@pytest.mark.skipif(shutil.which("unar") is None, reason="unar (Makefile system-deps) not installed")
def test_encrypted_rar5_writer_is_decrypted_by_unar(tmp_path):
    path = tmp_path / "enc.rar"
    path.write_bytes(rar5_bytes([RarMember("名单.csv", CSV)], password=SECRET))
    subprocess.run(["unar", "-q", "-o", str(tmp_path / "out"), "-p", SECRET, str(path)], check=True, capture_output=True)
    assert (tmp_path / "out" / "名单.csv").read_bytes() == CSV


def test_seizure_passwords_come_from_the_environment_only_by_the_seizure_key():
    env = {"CASEFILE_ARCHIVE_PASSWORD_S_2026_017": f"first\n{SECRET}\n", "CASEFILE_ARCHIVE_PASSWORD_OTHER": "x"}
    assert seizure_passwords("s-2026-017", env) == ("first", SECRET)
    assert seizure_passwords("s-2026-018", env) == ()
