"""Normalize the canonical personal-information fields of raw records.

Pure DataFrame -> DataFrame transforms: every function adds columns and drops nothing; the raw
``<field>_raw`` columns and every other column pass through untouched.

For each canonical field ``f`` (``jobs.common.fields.CANONICAL_FIELDS``) a normalizer adds

- ``f`` (string): the normalized value, or NULL when the field is missing (and for phone numbers
  without an area code, which cannot be made complete);
- ``f_status`` (string, never NULL): one of ``jobs.common.fields.FIELD_STATUSES``;
- ``f_reason`` (string): a snake_case reason code, NULL exactly when the status is ``valid``.

Reason codes shared by every field:

- ``absent`` (missing): the raw value is NULL.
- ``blank`` (missing): the raw value is empty or whitespace; for ID numbers, phones and bank
  cards also a value that is nothing but separators (``- -``).
- ``placeholder_token`` (missing): a "no value" token such as ``-``, ``NULL``, ``\\N``, ``无``,
  ``不详``, ``nan``, ``N/A``, ``none`` (case-insensitive; full-width forms too).
- ``asterisk_mask`` (masked): the value contains ``*`` (``138****1234``, ``张*``); the normalized
  value is the cleaned string, which is not a full identifier (DOMAIN.md section 5). Masks are
  detected right after missing values and before any other rule, so nothing "repairs" them.
- ``cleaned`` (repaired): the value needed more than trimming (full-width to ASCII, separators).

Field-specific codes are listed in each function's docstring. For ``invalid`` values the
normalized value is the cleaned string (not NULL), so that two copies of the same untrue value
still match each other downstream; the status keeps them out of any count of true records.

Where each part lives (this module is the stage's public surface: :func:`normalize_records` and
the field normalizers it applies, re-exported in ``__all__``):

- :mod:`jobs.normalize.expressions`: the shared vocabulary (statuses, placeholder tokens,
  full-width folding, whitespace) and Column helpers, with the implementation notes that hold for
  every field (Column expressions only, ANSI-safe functions, ``translate``/``btrim`` rather than
  regexes, temporary ``__cf_*`` columns).
- One module per field: :mod:`~jobs.normalize.names`, :mod:`~jobs.normalize.id_numbers` (with
  the region soft check and the review flag), :mod:`~jobs.normalize.phones`,
  :mod:`~jobs.normalize.addresses` (with the province / city / district split),
  :mod:`~jobs.normalize.bank_cards`, :mod:`~jobs.normalize.emails`.
- The only Python per value is OpenCC traditional -> simplified for ``name_key`` (see
  :func:`jobs.normalize.names.normalize_names`). The GB/T 2260 division table and the area-code
  table (:mod:`jobs.normalize.divisions`) are built once on the driver and reach the rows as a
  broadcast join, ``isin`` sets and a literal map.
- Identity documents other than the resident ID card (``document_type``, ``document_number``):
  :mod:`jobs.normalize.documents`, which also decides whether the ID column holds a resident ID
  number at all (a passport in ``CtfId`` is not an untrue resident ID: ``id_number`` is then
  ``missing`` with reason ``other_document``).
- Birthday columns (``birth_date``): :mod:`jobs.normalize.dates`, checked against the ID
  number's birth date by :func:`birth_date_checks` (a disagreement is a review flag).
- The second party of two-party rows (``sender_*``): :mod:`jobs.normalize.parties`.
- Unified Social Credit Codes, plates, QQ numbers: :mod:`jobs.normalize.identifiers`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.common.fields import FIELDS
from jobs.normalize.addresses import normalize_addresses, resolve_address_divisions
from jobs.normalize.bank_cards import normalize_bank_cards
from jobs.normalize.dates import normalize_dates
from jobs.normalize.documents import normalize_documents
from jobs.normalize.emails import normalize_emails
from jobs.normalize.id_numbers import id_region_statuses, id_review_flags, normalize_id_numbers
from jobs.normalize.identifiers import normalize_licence_plates, normalize_qq_numbers, normalize_usccs
from jobs.normalize.names import normalize_names
from jobs.normalize.parties import as_role
from jobs.normalize.phones import normalize_phones

__all__ = [
    "birth_date_checks",
    "normalize_addresses",
    "normalize_bank_cards",
    "normalize_emails",
    "field_normalizers",
    "normalize_id_numbers",
    "normalize_names",
    "normalize_phones",
    "normalize_records",
    "resolve_address_divisions",
    "id_region_statuses",
    "id_review_flags",
]


def field_normalizers(*, reference_date: datetime.date, protected_chars: Sequence[str] = ("於",),
                      document_type_codes: Mapping[str, str] | None = None) -> dict[str, Callable[[DataFrame], DataFrame]]:
    """The normalizer of each field of the registry (``jobs.common.fields.FIELDS``), keyed by field name.

    Each takes and returns a DataFrame and adds the field's value, status and reason columns and
    its own derived columns (the ID region status, the review flag, the birth date's check against
    the ID number and the address divisions, which read several fields, are added after all of
    them by :func:`normalize_records`). ``document_type`` adds both document fields (and the
    temporary routing flag ``document_routes_id`` that :func:`normalize_records` consumes);
    ``document_number`` is then a no-op. ``tests/unit/test_fields.py`` checks that every
    registered field has a normalizer and that :func:`normalize_records` adds exactly the columns
    the registry names.
    """
    name = lambda df, column="name_raw": normalize_names(df, column=column, protected_chars=protected_chars)  # noqa: E731
    return {
        "name": name,
        "id_number": lambda df: normalize_id_numbers(df, reference_date=reference_date),
        "phone": normalize_phones,
        "address": normalize_addresses,
        "bank_card": normalize_bank_cards,
        "email": normalize_emails,
        "document_type": lambda df: normalize_documents(df, type_codes=document_type_codes or {}),
        "document_number": lambda df: df,
        "birth_date": lambda df: normalize_dates(df, column="birth_date_raw", out="birth_date", reference_date=reference_date),
        "sender_name": as_role(name, "sender", ("name", "name_key", "name_status", "name_reason")),
        "sender_phone": as_role(normalize_phones, "sender", ("phone", "phone_status", "phone_reason", "phone_kind")),
        "sender_address": as_role(normalize_addresses, "sender", ("address", "address_status", "address_reason")),
        "uscc": normalize_usccs,
        "licence_plate": normalize_licence_plates,
        "qq": normalize_qq_numbers,
    }


def birth_date_checks(df: DataFrame) -> DataFrame:
    """Check a birthday column against the ID number's birth date (GB 11643-1999 characters 7-14).

    Columns in: ``birth_date`` (string, ISO ``yyyy-MM-dd[THH:mm:ss]`` or NULL), ``id_birth_date``
    (date, NULL unless the ID number is valid or repaired).

    Columns out:
        ``birth_date_review`` (string): ``agrees_with_id_number``, ``disagrees_with_id_number``
        (a review flag for the case team: never a reason to call the record untrue, since either
        the birthday column or the registration may be wrong), NULL when one of them is absent.
        ``birth_date_key`` (string): the birth date as part of the content key: NULL when it
        agrees with the ID number (it adds no information beyond the ID number), else ``birth_date``.
    """
    day = F.to_date(F.substring(F.col("birth_date"), 1, 10))
    id_day = F.col("id_birth_date")
    review = F.when(day.isNotNull() & id_day.isNotNull(),
                    F.when(day == id_day, F.lit("agrees_with_id_number")).otherwise(F.lit("disagrees_with_id_number")))
    return df.withColumn("birth_date_review", review).withColumn(
        "birth_date_key", F.when(F.coalesce(review, F.lit("")) != "agrees_with_id_number", F.col("birth_date")))


def normalize_records(
    df: DataFrame, *, reference_date: datetime.date, protected_chars: Sequence[str] = ("於",),
    document_type_codes: Mapping[str, str] | None = None,
) -> DataFrame:
    """Apply every field normalizer to raw records (``jobs.engine.schemas.RAW_RECORD``).

    Columns in: the ``<field>_raw`` column of every field of ``jobs.common.fields.FIELDS``
    (string, nullable); every other column passes through.

    Columns out, after the input columns and in registry order: each field's columns
    (``FieldSpec.record_columns`` minus the raw column). Computed in this order: the document
    fields (:func:`jobs.normalize.documents.normalize_documents`, which decides whether
    ``id_number_raw`` holds a resident ID number), the ID number, the other fields, then
    ``id_region_status`` (:func:`id_region_statuses`), ``id_review`` (:func:`id_review_flags`),
    ``birth_date_review`` / ``birth_date_key`` (:func:`birth_date_checks`) and the address
    divisions (:func:`resolve_address_divisions`, which may set ``address_status`` to ``ambiguous``).

    When the document is not a resident ID card (a passport, a permit, by the type column or the
    number's shape), the ID number is not judged by GB 11643: ``id_number`` is NULL with status
    ``missing`` and reason ``other_document``, and the number is in ``document_number``.

    Args:
        df: raw records.
        reference_date: the seizure date (see :func:`normalize_id_numbers`).
        protected_chars: see :func:`normalize_names`.
        document_type_codes: the type-column code table (``configs/pipeline.yaml``
            ``normalize.document_type_codes``; see :mod:`jobs.normalize.documents`).

    Returns:
        The normalized records (row order not preserved).

    Raises:
        ValueError: if a raw column is absent.
    """
    normalizers = field_normalizers(reference_date=reference_date, protected_chars=protected_chars,
                                    document_type_codes=document_type_codes)
    out = normalizers["document_type"](df)
    routed = "__cf_routed_id_number_raw"
    out = out.withColumn(routed, F.when(F.col("document_routes_id"), F.col("id_number_raw")))
    out = normalize_id_numbers(out, column=routed, reference_date=reference_date)
    other = ~F.col("document_routes_id")
    out = out.withColumns({
        "id_number_reason": F.when(other, F.lit("other_document")).otherwise(F.col("id_number_reason")),
    }).drop(routed, "document_routes_id")
    for spec in FIELDS:
        if spec.name not in ("document_type", "document_number", "id_number"):
            out = normalizers[spec.name](out)
    out = id_region_statuses(out)
    out = id_review_flags(out, reference_date=reference_date)
    out = birth_date_checks(out)
    out = resolve_address_divisions(out)
    added = [c for spec in FIELDS for c in spec.record_columns() if c != spec.raw_column]
    return out.select(*df.columns, *added)
