"""Addresses: cleaning, then province / city / district from GB/T 2260.

:func:`normalize_addresses` cleans the free text; :func:`resolve_address_divisions` splits the
cleaned address into divisions (:data:`CITY_PATTERN`, :data:`DISTRICT_PATTERN`, the division
table of :mod:`jobs.normalize.divisions` as a broadcast join) and flags district names shared by
several places (status :data:`AMBIGUOUS`), using the ID region code and landline area code of the
same record as evidence.
"""

from __future__ import annotations

import re

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from jobs.normalize import expressions as ex
from jobs.normalize.expressions import MASKED, MISSING, PLACEHOLDERS, REPAIRED, VALID, WS_CHARS

__all__ = [
    "AMBIGUOUS",
    "CITY_PATTERN",
    "DISTRICT_PATTERN",
    "normalize_addresses",
    "resolve_address_divisions",
]


# --------------------------------------------------------------------------------------------
# Cleaning
# --------------------------------------------------------------------------------------------


def normalize_addresses(df: DataFrame, *, column: str = "address_raw") -> DataFrame:
    """Clean free-text addresses (divisions: :func:`resolve_address_divisions`).

    Columns in:
        ``column`` (string, nullable): the raw address as read.

    Columns out:
        ``address`` (string): full-width ASCII folded to ASCII, ALL whitespace removed (Chinese
        addresses carry no meaningful spaces); NULL when missing. ``address_status``,
        ``address_reason`` (string).

    Rules: NULL / blank / placeholder -> ``missing``; contains ``*`` -> ``masked`` (courier
    waybills mask addresses); ``valid`` when only trimming was needed, else ``repaired``
    ``cleaned``. No address is ``invalid`` in this version.

    Args:
        df: input records.
        column: name of the raw address column.

    Returns:
        ``df`` with the columns above added.

    Raises:
        ValueError: if ``column`` is absent or is one of the output column names.
    """
    field = "address"
    ex.check_columns(df, column, (field, f"{field}_status", f"{field}_reason"))
    raw = F.col(column)
    trimmed_col, clean_col = ex.tmp(field, "trimmed"), ex.tmp(field, "clean")
    df = df.withColumn(trimmed_col, ex.fold(raw))
    df = df.withColumn(clean_col, ex.delete(F.col(trimmed_col), WS_CHARS))
    clean = F.col(clean_col)
    df = df.withColumn(
        ex.tmp(field, "missing"), ex.missing_reason(raw, F.col(trimmed_col), clean, PLACEHOLDERS)
    )
    missing = F.col(ex.tmp(field, "missing"))
    verdict = (
        F.when(missing.isNotNull(), F.struct(F.lit(MISSING).alias("status"), missing.alias("reason")))
        .when(clean.contains("*"), ex.verdict(MASKED, "asterisk_mask"))
        .otherwise(ex.valid_or_cleaned(ex.trim(raw) == clean))
    )
    df = df.withColumn(ex.tmp(field, "verdict"), verdict)
    return ex.finish(df, field, F.when(missing.isNull(), clean))


# --------------------------------------------------------------------------------------------
# Divisions (province / city / district)
# --------------------------------------------------------------------------------------------

#: Status an otherwise valid/repaired address gets when its district name fits several places.
AMBIGUOUS = "ambiguous"

#: Han characters that end a division name; the stem before them excludes them, so a lazy match
#: stops at the first one (``长春市朝阳区`` -> ``长春市`` + ``朝阳区``). The first character of a
#: district may be one of them (济南市 ``市中区``).
_HAN = r"\p{IsHan}"
_STEM = r"[\p{IsHan}&&[^省市区县]]"
CITY_PATTERN = rf"{_STEM}{{1,9}}?(?:市|自治州|地区|盟)"
DISTRICT_PATTERN = rf"{_HAN}{_STEM}{{0,9}}?(?:区|县|市|旗)"


def _address_pattern() -> str:
    from jobs.normalize.divisions import province_names

    provinces = "|".join(re.escape(n) for n in province_names())
    return rf"^({provinces})?({CITY_PATTERN})?({DISTRICT_PATTERN})?"


def _division_lookup(spark) -> DataFrame:
    """Broadcastable table ``name`` -> ``candidates`` array<struct<code, province, city, district, full_name>>."""
    from jobs.normalize.divisions import candidates_by_name

    rows = [
        (name, [(d.code, d.province, d.city, d.district, d.full_name) for d in cands])
        for name, cands in sorted(candidates_by_name().items())
    ]
    schema = (
        "name string, candidates array<struct<code: string, province: string, city: string, "
        "district: string, full_name: string>>"
    )
    return spark.createDataFrame(rows, schema)


def _area_code_map() -> Column:
    from jobs.normalize.divisions import area_code_places

    places = area_code_places()
    return F.create_map(*[F.lit(x) for k in sorted(places) for x in (k, places[k])])


def resolve_address_divisions(
    df: DataFrame,
    *,
    address_column: str = "address",
    id_region_column: str | None = "id_region_code",
    phone_column: str | None = "phone",
    phone_kind_column: str | None = "phone_kind",
) -> DataFrame:
    """Split cleaned addresses into province / city / district; flag shared district names.

    Runs after :func:`normalize_addresses` (and, for evidence, after
    :func:`jobs.normalize.id_numbers.normalize_id_numbers` and
    :func:`jobs.normalize.phones.normalize_phones`).

    Columns in:
        ``address_column`` (string): the cleaned address; ``address_status`` /
        ``address_reason`` (string); optional evidence ``id_region_column`` (string, 6 digits,
        NULL unless the ID number is valid/repaired), ``phone_column`` (string, E.164) with
        ``phone_kind_column`` (``'fixed'`` for a landline).

    Columns out (added after the existing ones; ``address_status``/``address_reason`` are
    replaced in place for ambiguous addresses):
        ``address_province``, ``address_city``, ``address_district`` (string): names as in the
        division table (city = the municipality for 北京/天津/上海/重庆; NULL for a county
        directly under a province); ``address_division_code`` (string, GB/T 2260 6-digit code of
        the resolved district or city); ``address_remainder`` (string): the address after the
        division prefix (the whole address when no division was recognised);
        ``address_candidates`` (array<string>): full names of every place the division token can
        mean after the address's own province/city are applied, sorted, set only when there is
        more than one; ``address_division_source`` (string): ``'address'`` (the address alone
        names one place), ``'id_region_code'`` or ``'phone_area_code'`` (several places; evidence
        in the same record picked one), NULL otherwise.

    Parsing (Column expressions; the division table is a broadcast join, no per-row Python):
        ``^(province)?(city)?(district)?`` where province is one of the table's province names
        written in full, city is ``CITY_PATTERN`` (a stem + 市/自治州/地区/盟) and district
        ``DISTRICT_PATTERN`` (a stem + 区/县/市/旗). The district token (else the city token) is
        looked up by name in :func:`jobs.normalize.divisions.candidates_by_name` (python-stdnum
        2.2 GB/T 2260 table, current and retired names); candidates must agree with the province
        and, when a district was found, the city written in the address.

    Ambiguity (issue 4): when several places remain (``朝阳区`` alone: 北京市朝阳区 and
    吉林省长春市朝阳区), evidence in the same record is tried, first the ID number's region code
    (candidates whose code shares its first 4 digits, the prefecture), then a landline's area
    code (candidates whose province and city appear in the libphonenumber description of the
    area code). Evidence resolves only if it leaves exactly one candidate. Otherwise a
    ``valid``/``repaired`` address becomes ``ambiguous``, reason ``shared_district_name``, with
    the candidates listed; no place is picked, never by table order. ``masked``/``missing``
    statuses are not changed.

    Args:
        df: records with normalized addresses.
        address_column: the cleaned address column.
        id_region_column: ID region code column, or None to use no ID evidence.
        phone_column: E.164 phone column, or None to use no phone evidence.
        phone_kind_column: phone kind column (only ``'fixed'`` numbers carry an area code).

    Returns:
        ``df`` with the columns above (row order not preserved: a join is involved).

    Raises:
        ValueError: if ``address_column`` or an output column conflicts.
    """
    field = "address_div"
    outputs = (
        "address_province", "address_city", "address_district", "address_division_code",
        "address_remainder", "address_candidates", "address_division_source",
    )  # fmt: skip
    ex.check_columns(df, address_column, outputs)
    addr = F.col(address_column)
    pattern = _address_pattern()
    prov_c, city_c, dist_c, key_c = (ex.tmp(field, n) for n in ("prov", "city", "dist", "key"))
    df = df.withColumn(ex.tmp(field, "m"), F.regexp_extract(addr, pattern, 0))
    df = df.withColumns(
        {
            prov_c: F.nullif(F.regexp_extract(addr, pattern, 1), F.lit("")),
            city_c: F.nullif(F.regexp_extract(addr, pattern, 2), F.lit("")),
            dist_c: F.nullif(F.regexp_extract(addr, pattern, 3), F.lit("")),
        }
    )
    prov, city, dist = F.col(prov_c), F.col(city_c), F.col(dist_c)
    df = df.withColumn(key_c, F.coalesce(dist, city))
    lookup = _division_lookup(df.sparkSession).withColumnRenamed("candidates", ex.tmp(field, "all"))
    df = df.join(F.broadcast(lookup), F.col(key_c) == lookup["name"], "left").drop(lookup["name"])

    def agrees(c: Column) -> Column:
        ok = prov.isNull() | (c["province"] == prov)
        return ok & (dist.isNull() | city.isNull() | (c["city"] == city))

    df = df.withColumn(ex.tmp(field, "cands"), F.filter(F.col(ex.tmp(field, "all")), agrees))
    cands = F.col(ex.tmp(field, "cands"))
    evidence: list[tuple[str, Column]] = []
    if id_region_column and id_region_column in df.columns:
        region4 = F.substring(F.col(id_region_column), 1, 4)
        evidence.append(("id_region_code", F.filter(cands, lambda c: F.substring(c["code"], 1, 4) == region4)))
    if phone_column and phone_kind_column and {phone_column, phone_kind_column} <= set(df.columns):
        phone = F.col(phone_column)
        area = F.when(
            F.col(phone_kind_column) == "fixed",
            F.when(phone.rlike(r"^\+86(10|2[0-9])"), F.substring(phone, 4, 2)).otherwise(F.substring(phone, 4, 3)),
        )
        place = F.element_at(_area_code_map(), area)
        evidence.append(
            (
                "phone_area_code",
                F.filter(
                    cands,
                    lambda c: (F.instr(place, c["province"]) > 0)
                    & (c["city"].isNull() | (F.instr(place, F.coalesce(c["city"], F.lit(""))) > 0)),
                ),
            )
        )
    chosen = F.when(F.size(cands) == 1, F.struct(cands[0].alias("c"), F.lit("address").alias("source")))
    for source, narrowed in evidence:
        chosen = chosen.when(
            (F.size(cands) > 1) & (F.size(narrowed) == 1),
            F.struct(narrowed[0].alias("c"), F.lit(source).alias("source")),
        )
    df = df.withColumn(ex.tmp(field, "chosen"), chosen)
    chosen = F.col(ex.tmp(field, "chosen"))
    ambiguous = chosen.isNull() & (F.size(cands) > 1)
    status, reason = F.col("address_status"), F.col("address_reason")
    flag = ambiguous & status.isin(VALID, REPAIRED)
    matched_len = F.length(F.col(ex.tmp(field, "m")))
    c = chosen["c"]
    out = df.withColumns(
        {
            "address_status": F.when(flag, F.lit(AMBIGUOUS)).otherwise(status),
            "address_reason": F.when(flag, F.lit("shared_district_name")).otherwise(reason),
            "address_province": F.coalesce(c["province"], prov),
            "address_city": F.when(chosen.isNotNull(), c["city"]).otherwise(F.when(dist.isNotNull(), city)),
            "address_district": c["district"],
            "address_division_code": c["code"],
            "address_remainder": F.when(
                addr.isNotNull(),
                F.when(chosen.isNotNull() | ambiguous, F.substring(addr, matched_len + 1, 1 << 20)).otherwise(addr),
            ),
            "address_candidates": F.when(
                ambiguous, F.array_sort(F.transform(cands, lambda x: x["full_name"]))
            ),
            "address_division_source": chosen["source"],
        }
    )
    return out.drop(*[col for col in out.columns if col.startswith(f"{ex.TMP_PREFIX}{field}_")])
