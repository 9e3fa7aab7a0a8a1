"""Case report: art. 11 counts (法释〔2017〕10号 items 1–3) over several seizures, cross-seizure overlap
with locators on both sides, refusal of a tampered bundle, deterministic output.

The bundles are written by hand (records.csv, summary.json, manifest.json, SHA256SUMS, latest), and
every expected number below is worked out by hand from the table in :func:`case_bundles`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pytest
import yaml

from jobs.case_report.counts import OVERLAP_COLUMNS
from jobs.case_report.job import make_case_report
from jobs.case_report.roles import load_roles, parse_roles
from jobs.common.config import load_config
from jobs.common.errors import ConfigError, EvidenceIntegrityError
from jobs.common.storage import LocalStorage

CASE = "C1"
COLUMNS = ["record_id", "name", "name_status", "name_key", "id_number", "id_number_status", "phone", "phone_status", "address",
           "address_status", "bank_card", "bank_card_status", "email", "email_status", "category", "cluster_size", "count_status",
           "exclusion_reason", "probable_survivor_record_id", "lower_category", "item_sha256", "item_path", "sheet", "line_number", "byte_offset"]

# Persons (IDs carry correct MOD 11-2 check characters).
P1 = {"name_key": "赵建国", "id_number": "110105198506150313", "id_number_status": "valid", "phone": "13912345678", "address": "北京市朝阳区"}
P2 = {"name_key": "王小明", "phone": "13800001111", "address": "南京市玄武区"}
P2B = {**P2, "address": "南京市鼓楼区"}  # same name + phone, other address: probable in another seizure
P3 = {"name_key": "李华", "phone": "13700002222"}
P3B = {"name_key": "李化", "phone": "13700002222"}  # a probable duplicate of P3 inside its seizure
P4 = {"name_key": "周杰", "phone": "13600003333"}
P7 = {"name_key": "孙丽", "phone": "13500004444"}
P8 = {"name_key": "陈思远", "id_number": "510107199203080217", "id_number_status": "valid", "phone": "13300005555"}
P9 = {"name_key": "陈思远", "id_number": "510107199203080233", "id_number_status": "valid", "phone": "13300005555"}  # other valid ID
BARE = {"phone": "13200006666"}
UNTRUE = {"name_key": "刘强", "id_number": "110105198506150314", "id_number_status": "invalid", "phone": "13100007777"}


def row(person: dict, line: int, item: str, **kw) -> dict:
    r = {c: "" for c in COLUMNS}
    for f in ("name_key", "id_number", "phone", "address", "bank_card", "email"):
        if person.get(f):
            r[f] = person[f]
            r[f"{f}_status"] = person.get(f"{f}_status", "valid")
        else:
            r[f"{f}_status"] = "missing"
    r["name"] = r["name_key"]
    r["name_status"] = r.pop("name_key_status")
    category = "tier_500" if person.get("id_number") else "tier_5000"
    item_sha = hashlib.sha256(item.encode()).hexdigest()
    r.update(record_id=hashlib.sha256(f"{item_sha}|{line}".encode()).hexdigest(), category=category, cluster_size="1",
             count_status="counted", lower_category=category, item_sha256=item_sha, item_path=item, sheet="", line_number=str(line),
             byte_offset=str(line * 100))
    r.update(kw)
    return r


def write_bundle(home: Path, seizure: str, rows: list[dict], run: str = "manual__2026-01-01T00-00-00-00-00") -> Path:
    folder = home / "casefiles" / CASE / seizure / run
    folder.mkdir(parents=True)
    buf = io.StringIO()
    w = csv.DictWriter(buf, COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: (None if v == "" else v) for k, v in r.items()})
    (folder / "records.csv").write_bytes("\ufeff".encode() + buf.getvalue().encode("utf-8"))
    counted = [r for r in rows if r["count_status"] == "counted"]
    cats = {k: sum(1 for r in counted if r["category"] == k) for k in ("tier_50", "tier_500", "tier_5000")}
    summary = {"case_id": CASE, "seizure_id": seizure, "raw_rows": len(rows), "records": len(rows), "unique_records": len(rows),
               "quarantined_rows": 0, "duplicate_records": 0, "weighted_total": 0.0, "tier": "below_threshold",
               "categories": {k: {"unique_records": v} for k, v in cats.items()},
               "upper_bound": {"unique_records": len(counted), "weighted_total": 0.0, "tier": "below_threshold",
                               "categories": {k: {"unique_records": v} for k, v in cats.items()}},
               "bare_phone_records": sum(1 for r in rows if r["count_status"] == "bare_phone")}
    (folder / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    (folder / "manifest.json").write_text(json.dumps({"case_id": CASE, "seizure_id": seizure, "run_id": run}), encoding="utf-8")
    (folder / "validation").mkdir()
    (folder / "validation" / "casefile_records.json").write_text("{}", encoding="utf-8")
    sums = "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(folder).as_posix()}\n"
                   for p in sorted(folder.rglob("*")) if p.is_file())
    (folder / "SHA256SUMS").write_text(sums, encoding="utf-8")
    (home / "casefiles" / CASE / seizure / "latest").write_text(run + "\n")
    return folder


@pytest.fixture()
def case_bundles(tmp_path, monkeypatch):
    """Four seizures of case C1.

    ============ ======== ============ ==================================================
    seizure      suspect  transaction  records (line)
    ============ ======== ============ ==================================================
    A_obtained   A        obtained     P1 (1), P2 (2), P3 (3), P3b probable dup of P3 (4),
                                       bare phone (5), untrue (6)
    A_sale_B     A        sold_to B    P1 (1), P2 (2)
    A_sale_C     A        sold_to C    P1 (1), P4 (2), P8 (3)
    B_seized     B        obtained     P1 (1), P2b (2), P7 (3), P9 (4), untrue (5)
    ============ ======== ============ ==================================================
    """
    home = tmp_path / "home"
    monkeypatch.setenv("CASEFILE_HOME", str(home))
    # Others commit in this tree while tests run: pin the code version the manifest records.
    monkeypatch.setattr("jobs.case_report.job.code_version", lambda: "test+gpinned")
    a1 = [row(P1, 1, "a/1.csv"), row(P2, 2, "a/1.csv"), row(P3, 3, "a/1.csv"), row(P3B, 4, "a/1.csv", lower_category=""),
          row(BARE, 5, "a/1.csv", count_status="bare_phone"), row(UNTRUE, 6, "a/1.csv", count_status="untrue", exclusion_reason="id_number:check_digit")]
    a1[3]["probable_survivor_record_id"] = a1[2]["record_id"]
    a1[2]["probable_survivor_record_id"] = a1[2]["record_id"]
    write_bundle(home, "A_obtained", a1)
    write_bundle(home, "A_sale_B", [row(P1, 1, "卖给B.xlsx", sheet="Sheet1"), row(P2, 2, "卖给B.xlsx", sheet="Sheet1")])
    write_bundle(home, "A_sale_C", [row(P1, 1, "c.txt"), row(P4, 2, "c.txt"), row(P8, 3, "c.txt")])
    write_bundle(home, "B_seized", [row(P1, 1, "b.csv"), row(P2B, 2, "b.csv"), row(P7, 3, "b.csv"), row(P9, 4, "b.csv"),
                                    row(UNTRUE, 5, "b.csv", count_status="untrue", exclusion_reason="id_number:check_digit")])
    roles = tmp_path / "roles.yaml"
    roles.write_text(yaml.safe_dump({"seizures": {"A_obtained": {"suspect": "A", "transaction": "obtained"},
                                                  "A_sale_B": {"suspect": "A", "sold_to": "B"},
                                                  "A_sale_C": {"suspect": "A", "transaction": {"sold_to": "C"}},
                                                  "B_seized": {"suspect": "B", "transaction": "obtained"}}}, allow_unicode=True), encoding="utf-8")
    return home, roles


def run(home: Path, spark, roles=None, dest=None):
    cfg = load_config()
    return make_case_report(CASE, storage=LocalStorage(home), config=cfg, spark=spark, roles_file=roles, dest=dest)


def read_overlap(path: Path) -> list[dict]:
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_art11_counts_per_suspect_and_case(spark, case_bundles):
    home, roles = case_bundles
    s = run(home, spark, roles)["summary"]
    a_up, a_lo = s["suspects"]["A"]["upper_bound"], s["suspects"]["A"]["lower_bound"]
    # A holds P1, P2, P3, P3b, P4, P8 once each (item 3 / item 1: P1 and P2 obtained and sold count once);
    # P1 went to B and to C: one more (item 2). 6 + 1 = 7.
    assert (a_up["distinct_records"], a_up["obtained_and_sold"], a_up["extra_buyer_sales"], a_up["art11_count"]) == (6, 2, 1, 7)
    assert {k: v["unique_records"] for k, v in a_up["categories"].items()} == {"tier_50": 0, "tier_500": 3, "tier_5000": 4}
    assert a_up["bare_phone_records"] == 1
    # 3/500 + 4/5000
    assert a_up["weighted_total"] == round(3 / 500 + 4 / 5000, 6)
    # Lower bound: P3b, a probable duplicate of P3 in its seizure, is left out.
    assert (a_lo["distinct_records"], a_lo["art11_count"]) == (5, 6)
    assert {k: v["unique_records"] for k, v in a_lo["categories"].items()} == {"tier_50": 0, "tier_500": 3, "tier_5000": 3}
    assert "item 2" in a_up["rules"]["extra_buyer_sales"] and "item 1" in a_up["rules"]["obtained_and_sold"]
    b_up = s["suspects"]["B"]["upper_bound"]
    assert (b_up["distinct_records"], b_up["extra_buyer_sales"], b_up["art11_count"]) == (4, 0, 4)
    assert s["suspects"]["A"]["buyers"] == ["B", "C"]
    # Case: every record once. Upper: P1 P2 P3 P3b P4 P8 P2b P7 P9; lower merges P2b into P2 (name + phone), drops P3b.
    case_up, case_lo = s["case"]["upper_bound"], s["case"]["lower_bound"]
    assert {k: v["unique_records"] for k, v in case_up["categories"].items()} == {"tier_50": 0, "tier_500": 3, "tier_5000": 6}
    assert {k: v["unique_records"] for k, v in case_lo["categories"].items()} == {"tier_50": 0, "tier_500": 3, "tier_5000": 4}
    assert "item 3" in case_up["rule"]
    assert s["seizures"]["A_sale_B"]["buyer"] == "B" and "item 3" in s["seizures"]["A_sale_B"]["rule"]


def test_html_names_the_rules(spark, case_bundles):
    home, roles = case_bundles
    out = Path(run(home, spark, roles, dest=home.parent / "html")["location"])
    page = (out / "case_summary.html").read_text(encoding="utf-8")
    # Chinese by default: 法释〔2017〕10号 art. 11 items 1-3 in the law's own words (第十一条第一至三款).
    assert '<html lang="zh-CN">' in page
    for text in ("第十一条第一款：非法获取公民个人信息后又出售或者提供的，公民个人信息的条数不重复计算",
                 "第十一条第二款：向不同单位或者个人分别出售、提供同一公民个人信息的，公民个人信息的条数累计计算",
                 "第十一条第三款：对批量公民个人信息的条数，根据查获的数量直接认定，但是有证据证明信息不真实或者重复的除外",
                 "cross_seizure_overlap.csv", "A_sale_C"):
        assert text in page
    assert "赵建国" not in page  # counts only, never record values


def test_overlap_rows_locators_and_counts(spark, case_bundles):
    home, roles = case_bundles
    out = run(home, spark, roles, dest=home.parent / "out")
    rows = read_overlap(Path(out["location"]) / "cross_seizure_overlap.csv")
    assert list(rows[0]) == list(OVERLAP_COLUMNS)
    # P1 in 4 seizures: 12 ordered rows; P2 A_obtained<->A_sale_B exact: 2; P2b probable with both: 4;
    # the untrue record A_obtained<->B_seized: 2. P8/P9 (same name and phone, two valid IDs): none.
    assert len(rows) == 20 == out["summary"]["overlap_rows"]
    kinds = {}
    for r in rows:
        kinds[r["match"]] = kinds.get(r["match"], 0) + 1
    assert kinds == {"exact": 16, "probable_name_phone": 4}
    probable = [r for r in rows if r["seizure_id"] == "B_seized" and r["other_seizure_id"] == "A_sale_B"]
    assert len(probable) == 2
    p2 = next(r for r in probable if r["match"] == "probable_name_phone")
    assert (p2["item_path"], p2["sheet"], p2["line_number"]) == ("b.csv", "", "2")
    assert (p2["other_item_path"], p2["other_sheet"], p2["other_line_number"]) == ("卖给B.xlsx", "Sheet1", "2")
    assert p2["item_sha256"] == hashlib.sha256(b"b.csv").hexdigest()
    assert p2["other_item_sha256"] == hashlib.sha256("卖给B.xlsx".encode()).hexdigest()
    untrue = [r for r in rows if r["count_status"] == "untrue"]
    assert {(r["seizure_id"], r["line_number"], r["other_line_number"]) for r in untrue} == {("A_obtained", "6", "5"), ("B_seized", "5", "6")}
    counts = {(o["seizure_id"], o["other_seizure_id"]): (o["exact_records"], o["probable_only_records"]) for o in out["summary"]["overlap"]}
    assert len(counts) == 12
    assert counts[("A_obtained", "B_seized")] == (2, 1)
    assert counts[("B_seized", "A_obtained")] == (2, 1)
    assert counts[("A_obtained", "A_sale_B")] == (2, 0)
    assert counts[("A_sale_C", "B_seized")] == (1, 0)
    assert counts[("A_sale_B", "A_sale_C")] == (1, 0)
    # sorted: by seizure, other seizure, locator
    keys = [(r["seizure_id"], r["other_seizure_id"], r["item_path"], r["sheet"], int(r["line_number"])) for r in rows]
    assert keys == sorted(keys)


def test_publish_is_deterministic_and_manifest_names_inputs(spark, case_bundles):
    home, roles = case_bundles
    first = run(home, spark, roles)
    folder = home / first["location"]
    assert (home / "casefiles" / CASE / "_case" / "latest").read_text().strip() == folder.name
    files = sorted(p.name for p in folder.iterdir())
    assert files == ["SHA256SUMS", "case_summary.html", "case_summary.json", "cross_seizure_overlap.csv", "manifest.json"]
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    second = run(home, spark, roles)
    assert second["location"] == first["location"]
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    other = run(home, spark, roles, dest=home.parent / "again")
    assert {p.name: p.read_bytes() for p in Path(other["location"]).iterdir()} == before
    manifest = json.loads(before["manifest.json"])
    inputs = {i["seizure_id"]: i for i in manifest["inputs"]}
    assert sorted(inputs) == ["A_obtained", "A_sale_B", "A_sale_C", "B_seized"]
    bundle = home / "casefiles" / CASE / "A_sale_B" / inputs["A_sale_B"]["run"]
    assert inputs["A_sale_B"]["summary_sha256"] == hashlib.sha256((bundle / "summary.json").read_bytes()).hexdigest()
    assert inputs["A_sale_B"]["manifest_sha256"] == hashlib.sha256((bundle / "manifest.json").read_bytes()).hexdigest()
    for line in before["SHA256SUMS"].decode().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256(before[name]).hexdigest() == digest
    # The seizure list ignores the case report folder itself.
    third = run(home, spark, roles)
    assert third["location"] == first["location"]


def test_tampered_bundle_is_refused(spark, case_bundles):
    home, roles = case_bundles
    records = next((home / "casefiles" / CASE / "B_seized").glob("manual__*")) / "records.csv"
    records.write_bytes(records.read_bytes().replace(b"b.csv", b"x.csv", 1))
    with pytest.raises(EvidenceIntegrityError, match=r"B_seized.*records\.csv: FAILED"):
        run(home, spark, roles)
    assert not (home / "casefiles" / CASE / "_case").exists()


def test_without_roles_every_seizure_is_its_own_suspect(spark, case_bundles):
    home, _ = case_bundles
    s = run(home, spark, None, dest=home.parent / "noroles")["summary"]
    assert sorted(s["suspects"]) == ["A_obtained", "A_sale_B", "A_sale_C", "B_seized"]
    a = s["suspects"]["A_obtained"]["upper_bound"]
    # P1 P2 P3 P3b counted, bare phone on its own line, untrue excluded: the seizure's own upper bound.
    assert (a["art11_count"], a["bare_phone_records"], a["extra_buyer_sales"]) == (4, 1, 0)
    assert a["art11_count"] == s["seizures"]["A_obtained"]["upper_bound"]["unique_records"]


def test_roles_are_checked():
    with pytest.raises(ConfigError, match="suspect"):
        parse_roles({"seizures": {"S1": {"sold_to": "B"}}}, ["S1"])
    with pytest.raises(ConfigError, match="no published bundle"):
        parse_roles({"seizures": {"S9": {"suspect": "A"}}}, ["S1"])
    with pytest.raises(ConfigError, match="transaction"):
        parse_roles({"seizures": {"S1": {"suspect": "A", "transaction": "gifted"}}}, ["S1"])
    roles = parse_roles({"seizures": {"S1": {"suspect": "A", "sold_to": "B"}}}, ["S1", "S2"])
    assert (roles["S1"].transaction, roles["S1"].buyer, roles["S2"].suspect) == ("sold", "B", "S2")


def test_roles_file_of_the_case_is_the_default(tmp_path, monkeypatch):
    monkeypatch.setenv("CASEFILE_CONFIG_DIR", str(tmp_path))
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "C1.yaml").write_text("seizures:\n  S1: {suspect: A, sold_to: B}\n", encoding="utf-8")
    roles, source = load_roles("C1", ["S1"])
    assert (roles["S1"].suspect, roles["S1"].buyer) == ("A", "B")
    assert source["file"] == "C1.yaml" and len(source["sha256"]) == 64
    roles, source = load_roles("C2", ["S1"])
    assert roles["S1"].suspect == "S1" and source["file"] is None
    with pytest.raises(ConfigError, match="not found"):
        load_roles("C1", ["S1"], tmp_path / "missing.yaml")
