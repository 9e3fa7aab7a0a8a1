"""normalize_addresses, normalize_bank_cards, normalize_emails."""

from __future__ import annotations

import pytest
from pyspark.testing import assertDataFrameEqual

from jobs.normalize.addresses import normalize_addresses
from jobs.normalize.bank_cards import normalize_bank_cards
from jobs.normalize.emails import normalize_emails

pytestmark = pytest.mark.spark


def _check(spark, fn, field, extra_schema, cases):
    df = spark.createDataFrame([(i, c[0]) for i, c in enumerate(cases)], f"row int, {field}_raw string")
    schema = (
        f"row int, {field}_raw string, {field} string, {field}_status string, {field}_reason string"
        + extra_schema
    )
    expected = spark.createDataFrame([(i, *c) for i, c in enumerate(cases)], schema)
    assertDataFrameEqual(fn(df), expected)


def test_addresses(spark):
    _check(
        spark,
        normalize_addresses,
        "address",
        "",
        [
            ("北京市朝阳区建国路88号", "北京市朝阳区建国路88号", "valid", None),
            (" 北京市 朝阳区\u3000建国路８８号 ", "北京市朝阳区建国路88号", "repaired", "cleaned"),
            ("北京市朝阳区****", "北京市朝阳区****", "masked", "asterisk_mask"),
            ("不详", None, "missing", "placeholder_token"),
            (None, None, "missing", "absent"),
        ],
    )


def test_bank_cards(spark):
    # Luhn (ISO/IEC 7812-1): 4111111111111111 is the classic passing test number; changing its
    # last digit breaks it. 6222021234567890128: undoubled digits 42 + doubled digits 38 = 80 -> passes.
    _check(
        spark,
        normalize_bank_cards,
        "bank_card",
        ", bank_card_luhn boolean",
        [
            ("4111111111111111", "4111111111111111", "valid", None, True),
            ("4111111111111112", "4111111111111112", "valid", None, False),
            ("6222 0212 3456 7890 128", "6222021234567890128", "repaired", "cleaned", True),
            ("6222-0212-3456-7890-128", "6222021234567890128", "repaired", "cleaned", True),
            ("６２２２０２１２３４５６７８９０１２８", "6222021234567890128", "repaired", "cleaned", True),
            ("42", "42", "invalid", "bad_length", None),
            ("0", "0", "invalid", "placeholder", None),
            ("0000000000000000", "0000000000000000", "invalid", "placeholder", True),
            ("62220212345678901234", "62220212345678901234", "invalid", "bad_length", None),
            ("6222O21234567890128", "6222O21234567890128", "invalid", "bad_format", None),
            ("6222 **** **** 0128", "6222********0128", "masked", "asterisk_mask", None),
            ("\\N", None, "missing", "placeholder_token", None),
        ],
    )


def test_emails(spark):
    _check(
        spark,
        normalize_emails,
        "email",
        "",
        [
            ("ZhangSan@QQ.COM ", "ZhangSan@qq.com", "repaired", "cleaned"),
            ("ｚｈａｎｇｓａｎ＠ｑｑ．ｃｏｍ", "zhangsan@qq.com", "repaired", "cleaned"),
            ("zhang.san@qq.com", "zhang.san@qq.com", "valid", None),
            ("zhangsan@qq.com", "zhangsan@qq.com", "valid", None),
            ("zhangsan@qq", "zhangsan@qq", "invalid", "bad_format"),
            ("zhang san@qq.com", "zhang san@qq.com", "invalid", "bad_format"),
            ("a@b@QQ.com", "a@b@qq.com", "invalid", "bad_format"),
            ("zh***@qq.com", "zh***@qq.com", "masked", "asterisk_mask"),
            ("none", None, "missing", "placeholder_token"),
        ],
    )
