"""Identity documents other than the resident ID card: document type and document number.

Hotel dumps (the 33-column layout: ``CtfTp`` + ``CtfId``; 证件类型 + 证件号码) register guests with
whatever document they showed: a resident ID card, a Chinese or foreign passport, a travel permit or
a residence permit. A passport number in the ID column is not an untrue resident ID number: it is a
different document with its own format. This module decides the type of each record's document and
checks the number against that type's format; the resident ID number itself is still normalized by
:func:`jobs.normalize.id_numbers.normalize_id_numbers` (routed there by
:func:`jobs.normalize.transforms.normalize_records`).

Document types (``document_type``):

=================================  ====================================================  =============================
type                               number format (after cleaning)                         source
=================================  ====================================================  =============================
``resident_id``                    GB 11643 (checked by ``id_numbers``)                   GB 11643-1999 / -1989
``passport_cn``                    ``E`` + 8 digits, ``E`` + letter (not I/O) + 7 digits;  DOMAIN.md §3; ``G``: the 2007
                                   ``G`` + 8 digits                                       passport series (a reading)
``passport_foreign``               5-9 of ``A-Z 0-9`` with a digit                         ICAO Doc 9303 Part 4: the MRZ
                                                                                          document number field (9)
``hk_macau_travel_permit``         往来港澳通行证: ``C`` + 8 digits                        DOMAIN.md §3
``home_return_permit``             港澳居民来往内地通行证: ``H``/``M`` + 8 or 10 digits     DOMAIN.md §3 (+10: the 2013 card)
``taiwan_compatriot_permit``       台湾居民来往大陆通行证: 8 digits                         DOMAIN.md §3
``hmt_residence_permit``           港澳台居民居住证: 18 characters, ``810000`` /            DOMAIN.md §3, GB 11643-1999
                                   ``820000`` / ``830000``, real birth date, MOD 11-2
``foreign_permanent_residence``    外国人永久居留身份证: 18 digits starting ``9``, real     DOMAIN.md §3 (2023 card);
                                   birth date, MOD 11-2; or 3 letters + 12 digits          the 2004 card (15 characters)
``military_officer``               军官证: ``X字第NNNNNN号`` or 6-12 digits                  a reading (no published format)
``other``                          4-32 letters, digits or Han characters                 a reading
=================================  ====================================================  =============================

How the type is decided (``document_type_source``):

1. The type column (``document_type_raw``), looked up folded (full-width to ASCII, whitespace
   removed, lower case) in the code table (``configs/pipeline.yaml`` ``normalize.document_type_codes``:
   GA/T 517-2004 《常用证件代码》 codes and the labels and codes seen in hotel systems). ``passport``
   (a passport of unknown issuer) becomes ``passport_cn`` when the number has that shape, else
   ``passport_foreign``. Source ``type_column``, status ``valid``.
2. When the number does not fit the column's type but has the shape of exactly one other type (every
   type above except the 8-digit Taiwan permit, whose shape is too common, and ``other``): that type,
   source ``number_shape``, status ``repaired`` ``type_overridden_by_number``. A hotel system that
   defaults the type to 身份证 does not turn a passport into an untrue resident ID. A number with
   the residence-permit prefixes (``810000``-``830000``) or the permanent-residence ``9`` under a
   resident-ID label is also overridden: it passes the GB 11643 check, but no mainland division
   code has those prefixes.
3. No type column (or a label not in the table: reason ``unknown_type_label``): the number's shape;
   a number from the ID column with no known shape is taken as a resident ID (it is judged by the
   GB 11643 rules, as before). Status ``repaired`` ``inferred_from_number`` (source ``number_shape``,
   or ``id_column_default`` for that last case).
4. No type and no number: ``missing``.

Which number (``document_number_source``): the document-number column (``document_number_raw``: a
column headed 护照号码, 通行证号码 ...) when it holds a value, else the ID column (``id_number_raw``).
``document_number`` is NULL (status ``missing``, reason ``resident_id``) when the document is a
resident ID card taken from the ID column: that number is ``id_number``.

A document number that fails its type's format is ``invalid`` (``bad_format``, ``bad_check_digit``,
``invalid_birth_date``, ``placeholder``): a flag, never a reason to call the record untrue
(``configs/linkage.yaml`` ``counting.untrue`` lists no ``document_number`` code).
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from jobs.normalize import expressions as ex
from jobs.normalize.expressions import INVALID, MASKED, MISSING, PLACEHOLDERS, REPAIRED, VALID, WS_CHARS
from jobs.normalize.id_numbers import id_check_char

__all__ = [
    "DOCUMENT_TYPES",
    "normalize_documents",
    "fold_type_label",
]

RESIDENT_ID = "resident_id"
PASSPORT = "passport"  # a table value only: resolved to passport_cn / passport_foreign by the number
PASSPORT_CN = "passport_cn"
PASSPORT_FOREIGN = "passport_foreign"
HK_MACAU_TRAVEL = "hk_macau_travel_permit"
HOME_RETURN = "home_return_permit"
TAIWAN = "taiwan_compatriot_permit"
HMT_RESIDENCE = "hmt_residence_permit"
FOREIGN_PR = "foreign_permanent_residence"
MILITARY = "military_officer"
OTHER = "other"

#: Every value ``document_type`` may take (the code table may also name ``passport``).
DOCUMENT_TYPES: tuple[str, ...] = (RESIDENT_ID, PASSPORT_CN, PASSPORT_FOREIGN, HK_MACAU_TRAVEL, HOME_RETURN, TAIWAN,
                                   HMT_RESIDENCE, FOREIGN_PR, MILITARY, OTHER)

_FIELD = "document_number"
_TYPE_FIELD = "document_type"
_GB11643 = r"^[0-9]{17}[0-9X]$"


def fold_type_label(label: str) -> str:
    """A type label as looked up: full-width to ASCII, whitespace removed, lower case (Python side
    of the Column expression in :func:`normalize_documents`, for the code table's keys)."""
    folded = label.translate(str.maketrans(ex.FULLWIDTH_TO_ASCII))
    return "".join(c for c in folded if c not in WS_CHARS).lower()


def _gb11643_ok(n: Column) -> Column:
    """18 characters with a real birth date in characters 7-14 and the MOD 11-2 check (GB 11643-1999)."""
    date = F.try_to_date(F.substring(n, 7, 8), "yyyyMMdd")
    return n.rlike(_GB11643) & date.isNotNull() & (id_check_char(F.substring(n, 1, 17)) == F.substring(n, 18, 1))


def _shape(n: Column) -> Column:
    """The type a cleaned number's shape indicates, or NULL (masked or unknown shape)."""
    return (
        F.when(n.contains("*"), F.lit(None).cast("string"))
        .when(n.rlike(r"^8[123]0000[0-9]{11}[0-9X]$"), F.lit(HMT_RESIDENCE))
        .when(n.rlike(r"^9[0-9]{16}[0-9X]$") | n.rlike(r"^[A-Z]{3}[0-9]{12}$"), F.lit(FOREIGN_PR))
        .when(n.rlike(_GB11643) | n.rlike(r"^[0-9]{15}$"), F.lit(RESIDENT_ID))
        .when(n.rlike(r"^(E[0-9]{8}|E[A-HJ-NP-Z][0-9]{7}|G[0-9]{8})$"), F.lit(PASSPORT_CN))
        .when(n.rlike(r"^C[0-9]{8}$"), F.lit(HK_MACAU_TRAVEL))
        .when(n.rlike(r"^[HM]([0-9]{8}|[0-9]{10})$"), F.lit(HOME_RETURN))
        .when(n.rlike(r"^[0-9]{8}$"), F.lit(TAIWAN))
    )


def _format_ok(doc_type: Column, n: Column) -> Column:
    """Whether the cleaned number ``n`` has the format of ``doc_type`` (table in the module docstring)."""
    return F.coalesce(
        F.when(doc_type == RESIDENT_ID, n.rlike(r"^[0-9]{15}$") | _gb11643_ok(n))
        .when(doc_type == PASSPORT_CN, n.rlike(r"^(E[0-9]{8}|E[A-HJ-NP-Z][0-9]{7}|G[0-9]{8})$"))
        .when(doc_type == PASSPORT_FOREIGN, n.rlike(r"^(?=[A-Z]*[0-9])[A-Z0-9]{5,9}$"))
        .when(doc_type == HK_MACAU_TRAVEL, n.rlike(r"^C[0-9]{8}$"))
        .when(doc_type == HOME_RETURN, n.rlike(r"^[HM]([0-9]{8}|[0-9]{10})$"))
        .when(doc_type == TAIWAN, n.rlike(r"^[0-9]{8}$"))
        .when(doc_type == HMT_RESIDENCE, n.rlike(r"^8[123]0000") & _gb11643_ok(n))
        .when(doc_type == FOREIGN_PR, (n.rlike(r"^9") & _gb11643_ok(n)) | n.rlike(r"^[A-Z]{3}[0-9]{12}$"))
        .when(doc_type == MILITARY, n.rlike(r"^[\u4e00-\u9fa5]{1,4}字第?[0-9]{4,10}号?$") | n.rlike(r"^[0-9]{6,12}$"))
        .when(doc_type == OTHER, n.rlike(r"^[0-9A-Z\u4e00-\u9fa5]{4,32}$")),
        F.lit(False),
    )


def _invalid_reason(doc_type: Column, n: Column) -> Column:
    """Reason code of a number that fails its type's format."""
    gb = doc_type.isin(HMT_RESIDENCE, FOREIGN_PR, RESIDENT_ID) & n.rlike(_GB11643)
    date_ok = F.try_to_date(F.substring(n, 7, 8), "yyyyMMdd").isNotNull()
    return (
        F.when(n.rlike(r"^(.)\1*$"), F.lit("placeholder"))
        .when(gb & ~date_ok, F.lit("invalid_birth_date"))
        .when(gb, F.lit("bad_check_digit"))
        .otherwise(F.lit("bad_format"))
    )


def normalize_documents(
    df: DataFrame,
    *,
    type_codes: Mapping[str, str],
    type_column: str = "document_type_raw",
    number_column: str = "document_number_raw",
    id_column: str = "id_number_raw",
) -> DataFrame:
    """Decide each record's identity document type and check its number (rules: module docstring).

    Columns in (string, nullable): ``type_column`` (the type cell: ``CtfTp``, 证件类型),
    ``number_column`` (a passport / permit number column), ``id_column`` (the ID column, ``CtfId``,
    证件号码).

    Columns out:
        ``document_type`` (string): one of :data:`DOCUMENT_TYPES`; NULL when missing.
        ``document_type_status`` / ``document_type_reason`` (string): ``valid`` (from the type
        column), ``repaired`` (``type_overridden_by_number``, ``inferred_from_number``,
        ``unknown_type_label``), ``missing`` (``absent`` / ``blank`` / ``placeholder_token``).
        ``document_type_source`` (string): ``type_column``, ``number_shape``, ``id_column_default``.
        ``document_number`` (string): the cleaned number (full-width to ASCII, whitespace and ``-``
        removed, leading apostrophe stripped, upper case) of a document that is not a resident ID
        taken from the ID column; NULL otherwise.
        ``document_number_status`` / ``document_number_reason`` (string): ``valid``, ``repaired``
        ``cleaned``, ``invalid`` (``bad_format``, ``bad_check_digit``, ``invalid_birth_date``,
        ``placeholder``), ``masked`` ``asterisk_mask``, ``missing`` (``resident_id`` or the missing
        codes).
        ``document_number_source`` (string): ``document_number_column``, ``id_number_column``; NULL
        when neither holds a value.
        ``document_routes_id`` (boolean, temporary for the caller): True when ``id_column`` holds
        a resident ID number to be normalized by ``normalize_id_numbers`` (the caller drops it).

    Args:
        df: raw records.
        type_codes: folded label (:func:`fold_type_label`) -> document type (or ``passport``).

    Raises:
        ValueError: an input column is absent, or ``type_codes`` maps to an unknown type.
    """
    unknown = sorted(set(type_codes.values()) - set(DOCUMENT_TYPES) - {PASSPORT})
    if unknown:
        raise ValueError(f"document_type_codes: unknown document types {unknown}")
    outputs = ("document_type", "document_type_status", "document_type_reason", "document_type_source",
               "document_number", "document_number_status", "document_number_reason", "document_number_source",
               "document_routes_id")
    for c in (type_column, number_column, id_column):
        ex.check_columns(df, c, outputs)
    t = ex.tmp(_FIELD, "")

    def clean(raw: Column) -> Column:
        return F.upper(ex.delete(ex.strip_apostrophes(ex.fold(raw)), WS_CHARS + "-"))

    type_raw, num_raw, id_raw = F.col(type_column), F.col(number_column), F.col(id_column)
    df = df.withColumns({
        t + "type_trim": ex.fold(type_raw),
        t + "num_trim": ex.fold(num_raw),
        t + "id_trim": ex.fold(id_raw),
        t + "num_clean": clean(num_raw),
        t + "id_clean": clean(id_raw),
    })
    type_trim, num_trim, id_trim = F.col(t + "type_trim"), F.col(t + "num_trim"), F.col(t + "id_trim")
    type_missing = ex.missing_reason(type_raw, type_trim, ex.delete(type_trim, WS_CHARS), PLACEHOLDERS)
    num_missing = ex.missing_reason(num_raw, num_trim, F.col(t + "num_clean"), PLACEHOLDERS)
    id_missing = ex.missing_reason(id_raw, id_trim, F.col(t + "id_clean"), PLACEHOLDERS)
    from_doc_column = num_missing.isNull()
    df = df.withColumns({
        t + "type_missing": type_missing,
        t + "src": F.when(from_doc_column, F.lit("document_number_column"))
                    .when(id_missing.isNull(), F.lit("id_number_column")),
        t + "n": F.when(from_doc_column, F.col(t + "num_clean")).when(id_missing.isNull(), F.col(t + "id_clean")),
        t + "n_missing": F.when(from_doc_column, F.lit(None).cast("string")).otherwise(id_missing),
    })
    n, src = F.col(t + "n"), F.col(t + "src")
    folded_codes = {fold_type_label(k): v for k, v in type_codes.items()}
    codes = F.create_map(*[F.lit(x) for kv in sorted(folded_codes.items()) for x in kv]) if folded_codes else None
    label = F.lower(ex.delete(type_trim, WS_CHARS))
    mapped = codes[label] if codes is not None else F.lit(None).cast("string")
    df = df.withColumns({t + "shape": _shape(n), t + "mapped": F.when(F.col(t + "type_missing").isNull(), mapped)})
    shape, mapped = F.col(t + "shape"), F.col(t + "mapped")
    column_type = F.when(mapped == PASSPORT, F.when(shape == PASSPORT_CN, F.lit(PASSPORT_CN)).otherwise(F.lit(PASSPORT_FOREIGN))) \
        .otherwise(mapped)
    df = df.withColumn(t + "col_type", column_type)
    col_type = F.col(t + "col_type")
    unambiguous = shape.isNotNull() & (shape != TAIWAN)
    # A residence permit or a permanent residence card has the resident ID layout and check; labelled
    # 身份证 (a system default), its 810000-830000 / 9 prefix (no mainland division code) decides.
    permit_as_id = (col_type == RESIDENT_ID) & shape.isin(HMT_RESIDENCE, FOREIGN_PR)
    fits = n.isNull() | n.contains("*") | (_format_ok(col_type, n) & ~permit_as_id)
    # (type, status, reason, source)
    decided = (
        F.when(col_type.isNotNull() & (fits | ~unambiguous | (shape == col_type)),
               F.struct(col_type.alias("t"), F.lit(VALID).alias("s"), F.lit(None).cast("string").alias("r"),
                        F.lit("type_column").alias("src")))
        .when(col_type.isNotNull(),
              F.struct(shape.alias("t"), F.lit(REPAIRED).alias("s"), F.lit("type_overridden_by_number").alias("r"),
                       F.lit("number_shape").alias("src")))
        .when(n.isNull(),
              F.when(F.col(t + "type_missing").isNotNull(),
                     F.struct(F.lit(None).cast("string").alias("t"), F.lit(MISSING).alias("s"),
                              F.col(t + "type_missing").alias("r"), F.lit(None).cast("string").alias("src")))
              .otherwise(F.struct(F.lit(None).cast("string").alias("t"), F.lit(MISSING).alias("s"),
                                  F.lit("unknown_type_label").alias("r"), F.lit(None).cast("string").alias("src"))))
        .otherwise(F.struct(
            F.coalesce(shape, F.when(src == "id_number_column", F.lit(RESIDENT_ID)).otherwise(F.lit(OTHER))).alias("t"),
            F.lit(REPAIRED).alias("s"),
            F.when(F.col(t + "type_missing").isNull(), F.lit("unknown_type_label")).otherwise(F.lit("inferred_from_number")).alias("r"),
            F.when(shape.isNotNull(), F.lit("number_shape")).otherwise(F.lit("id_column_default")).alias("src"),
        ))
    )
    df = df.withColumn(t + "decided", decided)
    d = F.col(t + "decided")
    doc_type = d["t"]
    resident_from_id = (doc_type == RESIDENT_ID) & (src == "id_number_column")
    raw_of_n = F.when(src == "document_number_column", num_raw).otherwise(id_raw)
    number_verdict = (
        F.when(n.isNull(), F.struct(F.lit(MISSING).alias("status"), F.coalesce(F.col(t + "n_missing"), F.lit("absent")).alias("reason")))
        .when(resident_from_id, ex.verdict(MISSING, "resident_id"))
        .when(n.contains("*"), ex.verdict(MASKED, "asterisk_mask"))
        .when(~_format_ok(doc_type, n), F.struct(F.lit(INVALID).alias("status"), _invalid_reason(doc_type, n).alias("reason")))
        .otherwise(ex.valid_or_cleaned(ex.trim(raw_of_n) == n))
    )
    df = df.withColumn(ex.tmp(_FIELD, "verdict"), number_verdict)
    out = df.withColumns({
        "document_type": doc_type,
        "document_type_status": d["s"],
        "document_type_reason": d["r"],
        "document_type_source": d["src"],
        "document_routes_id": ~F.coalesce((src == "id_number_column") & doc_type.isNotNull() & (doc_type != RESIDENT_ID),
                                          F.lit(False)),
    })
    return ex.finish(out, _FIELD, F.when(n.isNotNull() & ~resident_from_id, n),
                     {"document_number_source": F.when(~resident_from_id, src)})
