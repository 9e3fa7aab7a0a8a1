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
- Dates: :mod:`jobs.normalize.dates`; other identifiers: :mod:`jobs.normalize.identifiers`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence

from pyspark.sql import DataFrame

from jobs.common.fields import FIELDS
from jobs.normalize.addresses import normalize_addresses, resolve_address_divisions
from jobs.normalize.bank_cards import normalize_bank_cards
from jobs.normalize.emails import normalize_emails
from jobs.normalize.id_numbers import id_region_statuses, id_review_flags, normalize_id_numbers
from jobs.normalize.names import normalize_names
from jobs.normalize.phones import normalize_phones

__all__ = [
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


def field_normalizers(*, reference_date: datetime.date, protected_chars: Sequence[str] = ("於",)) -> dict[str, Callable[[DataFrame], DataFrame]]:
    """The normalizer of each field of the registry (``jobs.common.fields.FIELDS``), keyed by field name.

    Each takes and returns a DataFrame and adds the field's value, status and reason columns and
    its own derived columns (the ID region status, the review flag and the address divisions, which
    read several fields, are added after all of them by :func:`normalize_records`).
    ``tests/unit/test_fields.py`` checks that every registered field has a normalizer and that
    :func:`normalize_records` adds exactly the columns the registry names.
    """
    return {
        "name": lambda df: normalize_names(df, protected_chars=protected_chars),
        "id_number": lambda df: normalize_id_numbers(df, reference_date=reference_date),
        "phone": normalize_phones,
        "address": normalize_addresses,
        "bank_card": normalize_bank_cards,
        "email": normalize_emails,
    }


def normalize_records(
    df: DataFrame, *, reference_date: datetime.date, protected_chars: Sequence[str] = ("於",)
) -> DataFrame:
    """Apply every field normalizer to raw records (``jobs.engine.schemas.RAW_RECORD``).

    Columns in: ``name_raw``, ``id_number_raw``, ``phone_raw``, ``address_raw``,
    ``bank_card_raw``, ``email_raw`` (string, nullable); every other column passes through.

    Columns out, after the input columns, in canonical field order:
        ``name, name_key, name_status, name_reason``;
        ``id_number, id_number_status, id_number_reason, id_birth_date, id_sex, id_region_code``;
        ``phone, phone_status, phone_reason, phone_kind``;
        ``address, address_status, address_reason``;
        ``bank_card, bank_card_status, bank_card_reason, bank_card_luhn``;
        ``email, email_status, email_reason``;
        then ``id_region_status`` (:func:`id_region_statuses`), ``id_review``
        (:func:`id_review_flags`), and ``address_province, address_city, address_district,
        address_division_code, address_remainder, address_candidates, address_division_source``
        (:func:`resolve_address_divisions`, which may set ``address_status`` to ``ambiguous``).

    Args:
        df: raw records.
        reference_date: the seizure date (see :func:`normalize_id_numbers`).
        protected_chars: see :func:`normalize_names`.

    Returns:
        The normalized records (row order not preserved).

    Raises:
        ValueError: if a raw column is absent.
    """
    normalizers = field_normalizers(reference_date=reference_date, protected_chars=protected_chars)
    out = df
    for spec in FIELDS:
        out = normalizers[spec.name](out)
    out = id_region_statuses(out)
    out = id_review_flags(out, reference_date=reference_date)
    return resolve_address_divisions(out)
