"""Scoring a case file's probable clusters against a generator's linkage_truth.csv (a worked example
counted by hand: 4 true pairs, 4 predicted pairs, 2 in common), and the pairwise / B³ measures of
jobs.evaluation.metrics on a worked example."""

from __future__ import annotations

import csv
import hashlib

import pytest

from jobs.evaluation.linkage_truth import KEY_COLUMNS, evaluate_probable_duplicates
from jobs.evaluation.metrics import pairwise_and_b3


def digest(values: tuple[str, ...]) -> str:
    # the documented record name of linkage_truth.csv: SHA-256 of the nine normalized values (six
    # fields, then the sender's name key, phone, address; "" outside waybills) joined by U+001F
    return hashlib.sha256("\x1f".join(values + ("",) * (9 - len(values))).encode("utf-8")).hexdigest()


ROWS = {  # record id -> (name_key, id_number, phone, address, bank_card, email), probable survivor
    "A": (("张伟", "110105198506150313", "+8613912345678", "", "", ""), "A"),
    "B": (("张玮", "110105198506150313", "+8613912345678", "", "", ""), "A"),
    "C": (("张伟", "", "+8613912345678", "", "", ""), ""),
    "D": (("李娜", "", "+8613800001111", "北京市朝阳区1号101室", "", ""), "D"),
    "E": (("李娜", "", "", "北京市朝阳区1号101室", "", ""), "D"),
    "F": (("李明", "", "+8613800002222", "", "", ""), "D"),
}


def write_case(tmp_path):
    records = tmp_path / "records.csv"
    with open(records, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["record_id", *KEY_COLUMNS, "probable_survivor_record_id", "category"])
        for rid, (values, survivor) in ROWS.items():
            w.writerow([rid, *values, *("",) * (len(KEY_COLUMNS) - len(values)), survivor, "tier_500"])
    truth = tmp_path / "linkage_truth.csv"
    with open(truth, "w", encoding="utf-8", newline="") as fh:
        fh.write("record_key_sha256,person_key_sha256,source_key_sha256,kind\n")
        a, d = digest(ROWS["A"][0]), digest(ROWS["D"][0])
        fh.write(f"{digest(ROWS['B'][0])},{a},{a},probable_name_typo\n")
        fh.write(f"{digest(ROWS['C'][0])},{a},{digest(ROWS['B'][0])},probable_typo_and_missing\n")
        fh.write(f"{digest(ROWS['E'][0])},{d},{d},probable_field_missing\n")
    return records, truth


def test_pairwise_precision_and_recall_of_a_worked_example(tmp_path):
    m = evaluate_probable_duplicates(*write_case(tmp_path))
    # true pairs AB AC BC DE; predicted AB DE DF EF; both: AB DE
    assert (m["true_pairs"], m["predicted_pairs"], m["true_positive_pairs"]) == (4, 4, 2)
    assert m["pairwise_precision"] == 0.5 and m["pairwise_recall"] == 0.5 and m["pairwise_f1"] == 0.5
    assert m["unmatched_truth_records"] == 0 and m["truth_records"] == 3
    assert m["by_kind"] == {"probable_field_missing": {"records": 1, "found": 1},
                            "probable_name_typo": {"records": 1, "found": 1},
                            "probable_typo_and_missing": {"records": 1, "found": 0}}


def test_a_truth_record_missing_from_the_case_file_is_reported(tmp_path):
    records, truth = write_case(tmp_path)
    with open(truth, "a", encoding="utf-8") as fh:
        fh.write(f"{'0' * 64},{digest(ROWS['A'][0])},{'0' * 64},probable_field_missing\n")
    assert evaluate_probable_duplicates(records, truth)["unmatched_truth_records"] == 1


def test_a_case_file_without_the_columns_is_refused(tmp_path):
    records, truth = write_case(tmp_path)
    records.write_text("record_id,name\nA,x\n", encoding="utf-8")
    with pytest.raises(KeyError, match="probable_survivor_record_id"):
        evaluate_probable_duplicates(records, truth)


def test_pairwise_and_b3_on_a_worked_example():
    # truth {1,2,3} {4}; predicted {1,2} {3,4}. Pairs: true 3 (12 13 23), predicted 2 (12 34),
    # TP 1 → P 1/2, R 1/3. B³ precision |C∩T|/|C| per record: r1 C={1,2}, T={1,2,3} → 2/2 = 1;
    # r2 1; r3 C={3,4}, T={1,2,3} → 1/2; r4 C={3,4}, T={4} → 1/2 → P = 3/4.
    # Recall |C∩T|/|T|: r1 2/3, r2 2/3, r3 1/3, r4 1/1 → (2/3+2/3+1/3+1)/4 = 2/3.
    m = pairwise_and_b3({"1": "a", "2": "a", "3": "b", "4": "b"}, {"1": "x", "2": "x", "3": "x", "4": "y"})
    assert (m["pairwise_precision"], m["pairwise_recall"]) == (0.5, round(1 / 3, 6))
    assert (m["b3_precision"], m["b3_recall"]) == (0.75, round(2 / 3, 6))
