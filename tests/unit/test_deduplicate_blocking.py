"""Blocking: candidate pairs and block statistics of a hand-made set of records, counted by hand.

Eleven records, two rules, ``max_block_size`` 3 (synthetic values):

========  =====  ========  ====
record    phone  name_key  city
========  =====  ========  ====
r01       P1     A         X
r02       P1     A         X
r03       P1     B         Y
r04       P2     B         Y
r05       P2     C         ""      (empty city: not in rule 1)
r06       P3     D         Z
r07       P3     D         Z
r08       P3     D         Z
r09       P3     D         Z
r10       NULL   A         X       (NULL phone: not in rule 0)
r11       P4     E         W       (alone in both rules: no block)
========  =====  ========  ====

Rule 0, ``[phone]``:
  P1 = {r01, r02, r03}, 3 records <= 3: used, 3·2/2 = 3 pairs (r01-r02, r01-r03, r02-r03);
  P2 = {r04, r05}: used, 1 pair (r04-r05);
  P3 = {r06..r09}, 4 records > 3: skipped (1 block, 4 records);
  P4 = {r11}: one record, no block.
  → blocks 2, skipped_blocks 1, skipped_records 4, pairs 3 + 1 = 4.

Rule 1, ``[name_key, city]``:
  (A, X) = {r01, r02, r10}: used, 3 pairs (r01-r02, r01-r10, r02-r10);
  (B, Y) = {r03, r04}: used, 1 pair (r03-r04);
  (D, Z) = {r06..r09}: skipped (1 block, 4 records);
  (C, "") has an empty expression and (E, W) one record: no block.
  → blocks 2, skipped_blocks 1, skipped_records 4, pairs 4.

Candidate pairs, the first rule that produced each: r01-r02 is in both rules and keeps rule 0;
r01-r03, r02-r03, r04-r05 rule 0; r01-r10, r02-r10, r03-r04 rule 1: 7 pairs (4 + 4 - 1 shared).
No pair of r06..r09 (their blocks are skipped in both rules) and none with r11.
"""

from __future__ import annotations

import pytest

from jobs.common.linkage import LinkageSettings
from jobs.deduplicate.linkage.blocking import RuleBlocks, candidate_pairs

pytestmark = pytest.mark.spark

ROWS = [
    ("r01", "P1", "A", "X"), ("r02", "P1", "A", "X"), ("r03", "P1", "B", "Y"), ("r04", "P2", "B", "Y"),
    ("r05", "P2", "C", ""), ("r06", "P3", "D", "Z"), ("r07", "P3", "D", "Z"), ("r08", "P3", "D", "Z"),
    ("r09", "P3", "D", "Z"), ("r10", None, "A", "X"), ("r11", "P4", "E", "W"),
]
SCHEMA = "record_id string, phone string, name_key string, city string, email string"


def _records(spark):
    return spark.createDataFrame([(*r, None) for r in ROWS], SCHEMA)


def test_candidate_pairs_and_block_statistics_counted_by_hand(spark):
    settings = LinkageSettings(comparisons=(), blocking_rules=(("phone",), ("name_key", "city")), max_block_size=3)
    got = candidate_pairs(_records(spark), settings)
    pairs = sorted(tuple(r) for r in got.pairs.collect())
    assert pairs == [
        ("r01", "r02", 0), ("r01", "r03", 0), ("r01", "r10", 1), ("r02", "r03", 0),
        ("r02", "r10", 1), ("r03", "r04", 1), ("r04", "r05", 0),
    ]
    assert got.rules == (
        RuleBlocks(blocking_rule=0, blocks=2, skipped_blocks=1, skipped_records=4, pairs=4),
        RuleBlocks(blocking_rule=1, blocks=2, skipped_blocks=1, skipped_records=4, pairs=4),
    )


def test_rule_without_blocks_counts_zero(spark):
    # email is NULL on every record, so rule 1 has no block at all; rule 0 is as above, now with
    # max_block_size 4: P3 = {r06..r09} is used (4·3/2 = 6 pairs), so pairs = 3 + 1 + 6 = 10.
    settings = LinkageSettings(comparisons=(), blocking_rules=(("phone",), ("email",)), max_block_size=4)
    got = candidate_pairs(_records(spark), settings)
    assert got.rules == (RuleBlocks(0, blocks=3, skipped_blocks=0, skipped_records=0, pairs=10), RuleBlocks(1, 0, 0, 0, 0))
    assert got.pairs.count() == 10


def test_no_rules_is_an_error(spark):
    with pytest.raises(ValueError, match="no blocking rules"):
        candidate_pairs(_records(spark), LinkageSettings(comparisons=(), blocking_rules=()))
