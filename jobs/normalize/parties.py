"""Two-party rows: the second party of a courier waybill, normalized with the first party's rules.

A courier waybill (DOMAIN.md section 4: 运单号, 寄件人, 寄件人电话, 寄件地址, 收件人, 收件人电话, 收件地址,
物品, 时间) names two people. The receiver (收件人 ...) is the record's person: ``name``, ``phone``,
``address`` (the synonyms map 收件人 / 收件人电话 / 收件地址 there), so the probable-duplicate linkage,
the counting rules and the categories see the receiver as before. The sender (寄件人 ...) is kept
in ``sender_name``, ``sender_phone``, ``sender_address`` (``configs/column_synonyms.yaml``
``sender_*``), normalized by exactly the same rules, and is part of the content key: one row traded
as one unit is one record (SPC commentary 《理解与适用》 on art. 5 法释〔2017〕10号), so two waybills
with the same receiver and different senders are two records, and a waybill carries both parties'
information into its category (``configs/categories.yaml``).

:func:`as_role` runs a field normalizer on a role's raw column and renames its outputs with the
role's prefix, keeping any first-party columns of the same names untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pyspark.sql import DataFrame

__all__ = ["as_role"]


def as_role(normalizer: Callable[..., DataFrame], role: str, outputs: Sequence[str]) -> Callable[[DataFrame], DataFrame]:
    """A normalizer of the role field ``<role>_<field>``.

    Args:
        normalizer: a field normalizer taking ``column=`` (``normalize_names``, ``normalize_phones``, ...).
        role: the prefix (``sender``).
        outputs: the columns ``normalizer`` adds (``name``, ``name_key``, ``name_status``, ``name_reason``);
            the first is the field name, so the raw column read is ``<role>_<outputs[0]>_raw``.

    Returns:
        A DataFrame -> DataFrame function adding ``<role>_<c>`` for each ``c`` of ``outputs``.
    """
    field = outputs[0]

    def run(df: DataFrame) -> DataFrame:
        parked = {c: f"__cf_role_parked_{c}" for c in outputs if c in df.columns}
        out = normalizer(df.withColumnsRenamed(parked), column=f"{role}_{field}_raw")
        out = out.withColumnsRenamed({c: f"{role}_{c}" for c in outputs})
        return out.withColumnsRenamed({v: k for k, v in parked.items()})

    return run
