"""RAR 4 and RAR 5 archives in a seizure (jobs.intake.archives, rarfile + unar).

The archives are written by jobs.synth.items.rar (store method, from the rarlab technotes) and
each is first read back by readers written by others, libarchive (libarchive-c) and unar's
``lsar``, so that the expected values never come from our own writer and reader alone. Expected
hashes are computed here by hashlib from the bytes put in; rows are the CSV lines put in.
"""

from __future__ import annotations

import shutil
import subprocess

import libarchive
import pytest
from factories import digests, run_intake

from jobs.synth.items.rar import RarMember, rar4_bytes, rar5_bytes

CSV = "姓名,手机号\n张三,13912345678\n李四,013912345679\n".encode("utf-8")
OTHER = "姓名,身份证号\n王五,11010519491231002X\n".encode("gb18030")


def _libarchive_listing(path):
    out = []
    with libarchive.file_reader(str(path)) as archive:
        for e in archive:
            data = b"" if e.isdir or e.issym else b"".join(e.get_blocks())
            out.append((e.pathname, e.isdir, e.issym, e.linkpath, data))
    return out


@pytest.mark.parametrize("version,writer", [(5, rar5_bytes), (4, rar4_bytes)])
def test_our_rar_writer_is_read_by_libarchive_and_unar(tmp_path, version, writer):
    members = [RarMember("名单/a.csv", CSV), RarMember("b.csv", OTHER), RarMember("lnk", b"b.csv", link="symlink"),
               RarMember("空目录", directory=True)]
    path = tmp_path / f"check_v{version}.rar"
    path.write_bytes(writer(members))
    assert _libarchive_listing(path) == [("名单/a.csv", False, False, None, CSV), ("b.csv", False, False, None, OTHER),
                                         ("lnk", False, True, "b.csv", b""), ("空目录", True, False, None, b"")]
    if shutil.which("lsar"):
        listing = subprocess.run(["lsar", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()
        assert listing[1:] == ["名单/a.csv", "b.csv", "lnk", "空目录/"]


@pytest.mark.parametrize("version,writer", [(5, rar5_bytes), (4, rar4_bytes)])
def test_rar_members_become_items_and_hostile_members_are_refused(tmp_path, version, writer):
    members = [RarMember("名单/a.csv", CSV), RarMember("../逃逸.csv", CSV), RarMember("/etc/cron.csv", CSV),
               RarMember("C:/x.csv", CSV), RarMember("lnk", b"/etc/passwd", link="symlink"),
               RarMember("lnk/through.csv", CSV), RarMember("b.csv", OTHER), RarMember("b.csv", CSV + b"\n"),
               RarMember("目录", directory=True)]
    if version == 5:
        members.append(RarMember("hard", b"b.csv", link="hardlink"))
    rar = writer(members)
    items, entries, raw, quarantine, refusals = run_intake(tmp_path, {"seized.rar": rar})

    assert entries[0]["format"] == "archive:rar" and entries[0]["sha256"] == digests(rar)["sha256"]
    got = [(e["path"], e["status"], e.get("refusal_reason")) for e in entries[1:]]
    expected = [("seized.rar/名单/a.csv", "extracted", None), ("seized.rar/../逃逸.csv", "refused", "path_traversal"),
                ("seized.rar//etc/cron.csv", "refused", "absolute_path"), ("seized.rar/C:/x.csv", "refused", "drive_letter"),
                ("seized.rar/lnk", "refused", "link_member"), ("seized.rar/lnk/through.csv", "refused", "path_through_link"),
                ("seized.rar/b.csv", "extracted", None), ("seized.rar/b.csv", "refused", "duplicate_member_name")]
    if version == 5:
        expected.append(("seized.rar/hard", "refused", "link_member"))
    assert got == expected
    a, b = items["seized.rar/名单/a.csv"], next(e for e in entries if e["path"] == "seized.rar/b.csv" and e["status"] == "extracted")
    assert {k: a[k] for k in ("sha256", "md5")} == digests(CSV) and a["bytes"] == len(CSV)
    assert {k: b[k] for k in ("sha256", "md5")} == digests(OTHER)
    assert (a["parent_sha256"], a["member_path"], a["records"], a["rows_read"]) == (digests(rar)["sha256"], "名单/a.csv", 2, 2)
    # Rows read as text: the leading zero of a number kept, GB18030 decoded
    assert [(r["item_path"], r["line_number"], r["name_raw"], r["phone_raw"], r["id_number_raw"]) for r in raw] == [
        ("seized.rar/名单/a.csv", 2, "张三", "13912345678", None), ("seized.rar/名单/a.csv", 3, "李四", "013912345679", None),
        ("seized.rar/b.csv", 2, "王五", None, "11010519491231002X")]
    assert quarantine == []


def test_rar_member_over_the_size_limit_is_refused_and_the_rest_proceeds(tmp_path):
    rar = rar5_bytes([RarMember("big.csv", CSV * 40), RarMember("a.csv", CSV)])
    items, entries, raw, _, refusals = run_intake(tmp_path, {"s.rar": rar}, settings={"archives": {"max_member_bytes": 1000}})
    assert [(r["path"], r["refusal_reason"]) for r in refusals] == [("s.rar/big.csv", "member_too_large")]
    assert [r["item_path"] for r in raw] == ["s.rar/a.csv", "s.rar/a.csv"]


def test_truncated_rar_is_refused_as_corrupt_and_other_items_proceed(tmp_path):
    rar = rar5_bytes([RarMember("a.csv", CSV)])
    items, entries, raw, _, refusals = run_intake(tmp_path, {"bad.rar": rar[:20], "ok.csv": CSV})
    assert [(r["path"], r["refusal_reason"]) for r in refusals] == [("bad.rar/*", "corrupt_archive")]
    assert [r["item_path"] for r in raw] == ["ok.csv", "ok.csv"]


def test_rar_member_with_a_wrong_crc_is_corrupt(tmp_path):
    rar = bytearray(rar5_bytes([RarMember("a.csv", CSV), RarMember("b.csv", OTHER)]))
    at = bytes(rar).index(CSV)
    rar[at + 8] ^= 0x01  # one bit of the stored data: the CRC32 in the header no longer matches
    items, entries, raw, _, refusals = run_intake(tmp_path, {"s.rar": bytes(rar)})
    assert [(r["path"], r["refusal_reason"]) for r in refusals] == [("s.rar/a.csv", "corrupt_member")]
    assert [r["item_path"] for r in raw] == ["s.rar/b.csv"]
