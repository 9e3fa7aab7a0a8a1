"""The raw line of a sampled record (issue 17): the exact original row, found again by its record id,
shown on the page as inert text (a hostile raw line injects nothing)."""

from __future__ import annotations

import hashlib
import io
import zipfile

from jobs.common.config import load_config
from jobs.common.storage.local import LocalStorage
from jobs.intake.evidence import register_evidence
from jobs.review.decisions import DecisionLog
from jobs.review.queue import ReviewQueue
from jobs.review.rawline import display_text, raw_lines
from jobs.review.web import create_app

HOSTILE = '张三,<script>alert(1)</script>\u202e"><img src=x onerror=alert(2)>,13912345678'
LINES = ["姓名,身份证号,手机号", "李四,110101199003071234,13800000000", HOSTILE, "王五,110101199003071235,13700000000"]


def _record_id(sha: str, sheet: str, line: int) -> str:
    # The locator hash written out here (DOMAIN: record id = SHA-256 of item SHA-256 \x1f sheet \x1f line).
    return hashlib.sha256(f"{sha}\x1f{sheet}\x1f{line}".encode()).hexdigest()


def _registered_users_csv(tmp_path):
    """``users.csv`` (LINES, CRLF) registered as the evidence of C1/S1: (source folder, bytes, storage, SHA-256)."""
    src = tmp_path / "src"
    src.mkdir()
    data = ("\r\n".join(LINES) + "\r\n").encode("utf-8")
    (src / "users.csv").write_bytes(data)
    storage = LocalStorage(tmp_path / "home")
    register_evidence(storage, "C1", "S1", str(src))
    return src, data, storage, hashlib.sha256(data).hexdigest()


def test_raw_line_is_the_exact_original_row(tmp_path):
    src, data, storage, sha = _registered_users_csv(tmp_path)
    wanted = [{"record_id": _record_id(sha, "", 3), "item_sha256": sha, "item_path": "users.csv"},
              {"record_id": _record_id(sha, "", 2), "item_sha256": sha, "item_path": "users.csv"},
              {"record_id": "f" * 64, "item_sha256": "e" * 64, "item_path": "archive.zip/inner.csv"}]  # not in the seizure
    got = raw_lines(storage, "C1", "S1", wanted, load_config().synonyms)
    assert got == {wanted[0]["record_id"]: HOSTILE, wanted[1]["record_id"]: LINES[1], wanted[2]["record_id"]: None}
    assert (src / "users.csv").read_bytes() == data  # the original only read


def test_raw_line_of_an_archive_member_is_read_from_the_archive_again(tmp_path):
    # The member's SHA-256 and its row's record id are computed here from the bytes put in the zip;
    # a second member of another content under a wanted member's name would not be taken.
    member = ("\r\n".join(LINES) + "\r\n").encode("utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("inner/users.csv", member)
        z.writestr("other.csv", b"\xe5\xa7\x93\xe5\x90\x8d\r\nx\r\n")
    src = tmp_path / "src"
    src.mkdir()
    (src / "seized.zip").write_bytes(buf.getvalue())
    storage = LocalStorage(tmp_path / "home")
    register_evidence(storage, "C1", "S1", str(src))
    sha = hashlib.sha256(member).hexdigest()
    wanted = [{"record_id": _record_id(sha, "", 3), "item_sha256": sha, "item_path": "seized.zip/inner/users.csv"},
              {"record_id": _record_id("d" * 64, "", 2), "item_sha256": "d" * 64, "item_path": "seized.zip/other.csv"}]
    got = raw_lines(storage, "C1", "S1", wanted, load_config().synonyms)
    assert got == {wanted[0]["record_id"]: HOSTILE, wanted[1]["record_id"]: None}
    assert (src / "seized.zip").read_bytes() == buf.getvalue()


def test_hostile_raw_line_is_inert_on_the_page(tmp_path):
    queue = ReviewQueue(records=[{"target": "r1", "record_id": "r1", "category": "tier_500", "why": ["sample"],
                                  "locator": "users.csv 3", "raw_line": HOSTILE},
                                 {"target": "r2", "record_id": "r2", "category": "tier_500", "why": ["sample"], "locator": "a.zip/b.csv 4",
                                  "raw_line": None}])
    app = create_app(queue, DecisionLog(LocalStorage(tmp_path), "C1", "S1"), "tok", case_id="C1", seizure_id="S1")
    html = app.test_client().get("/?token=tok").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "\u202e" not in html and "\\u{202E}" in html  # the right-to-left override made visible
    assert "原始行不可用" in html  # an archive member: said so, not left blank
    assert html.count("<script>") == 1  # the page's own script only


def test_display_text_cuts_long_lines():
    assert display_text("a\x00b\tc") == "a\\u{0000}b\tc"
    assert display_text("x" * 10, limit=4) == "xxxx … (+6)"
    assert display_text(None) == ""


def test_with_locators_only_the_wanted_lines_are_hashed_and_the_id_still_decides(tmp_path):
    """records.csv rows carry sheet and line_number: only rows on those lines are hashed (bench/bench_rawline.py),
    but the record id must still match, so a wrong line number gives no raw line rather than another row's."""
    src, data, storage, sha = _registered_users_csv(tmp_path)
    right = {"record_id": _record_id(sha, "", 4), "item_sha256": sha, "item_path": "users.csv", "sheet": "", "line_number": "4"}
    wrong = {"record_id": _record_id(sha, "", 2), "item_sha256": sha, "item_path": "users.csv", "sheet": "", "line_number": "3"}
    got = raw_lines(storage, "C1", "S1", [right, wrong], load_config().synonyms)
    assert got == {right["record_id"]: LINES[3], wrong["record_id"]: None}
    # Without a line number for one record, every row of the item is hashed again: both found by id alone.
    got = raw_lines(storage, "C1", "S1", [right, {**wrong, "line_number": ""}], load_config().synonyms)
    assert got == {right["record_id"]: LINES[3], wrong["record_id"]: LINES[1]}
