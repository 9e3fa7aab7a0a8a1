"""Dates and times seen in dumps -> ISO 8601, with the source form kept.

The raw date fields are not canonical fields yet: intake keeps them in the ``extra`` JSON of each
raw record. :data:`EXTRA_DATE_KEYS` lists the keys read for now (DOMAIN.md section 4): the hotel
check-in dump's ``Birthday`` (usually ``yyyyMMdd``) and ``Version`` (the row's update time), the
courier waybills' ``时间``, and the Chinese headers 出生日期 / 生日 / 入住时间 / 下单时间 seen in
other lists. :func:`extra_date_columns` pulls them out; :func:`normalize_dates` normalizes one.
"""

from __future__ import annotations

import datetime

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.normalize.expressions import INVALID, MISSING, PLACEHOLDERS, REPAIRED, VALID
from jobs.normalize.expressions import check_columns as _check_columns
from jobs.normalize.expressions import fold as _fold
from jobs.normalize.expressions import missing_reason as _missing_reason
from jobs.normalize.expressions import trim as _trim
from jobs.normalize.expressions import verdict as _verdict

__all__ = ["EXTRA_DATE_KEYS", "extra_date_columns", "normalize_dates"]

#: Output raw column -> ``extra`` keys tried in order (the first non-NULL wins).
EXTRA_DATE_KEYS: dict[str, tuple[str, ...]] = {
    "birth_date_raw": ("Birthday", "出生日期", "生日"),
    "event_time_raw": ("时间", "入住时间", "下单时间", "Version"),
}

#: Dates dumps use for "unknown" (DOMAIN.md section 5).
PLACEHOLDER_DATES: tuple[datetime.date, ...] = (datetime.date(1900, 1, 1), datetime.date(1970, 1, 1))

#: Excel serial day numbers (1900 date system): serial 1 = 1900-01-01; Excel counts a
#: 1900-02-29 that never existed (serial 60, Lotus 1-2-3 compatibility, documented by Microsoft
#: as "Excel incorrectly assumes that the year 1900 is a leap year"), so serials from 61 on are
#: days after 1899-12-30 and serials 1-59 days after 1899-12-31. Only 5-digit serials are
#: accepted (10000..99999: 1927-05-18..2173-10-14): a 4-digit value is more likely a year, and
#: ``19850615`` is never a serial.
EXCEL_EPOCH = datetime.date(1899, 12, 30)


def extra_date_columns(df: DataFrame, *, extra_column: str = "extra") -> DataFrame:
    """Add ``birth_date_raw`` and ``event_time_raw`` (string) from the ``extra`` JSON object.

    Keys: :data:`EXTRA_DATE_KEYS`. A malformed ``extra`` gives NULLs (``from_json`` is
    permissive), never an exception.
    """
    _check_columns(df, extra_column, tuple(EXTRA_DATE_KEYS))
    extra = F.from_json(F.col(extra_column), T.MapType(T.StringType(), T.StringType()))
    return df.withColumns(
        {out: F.coalesce(*[extra[k] for k in keys]) for out, keys in EXTRA_DATE_KEYS.items()}
    )


def normalize_dates(
    df: DataFrame, *, column: str, out: str, reference_date: datetime.date | None = None
) -> DataFrame:
    """Parse dates and times in the forms seen in dumps and write them in ISO 8601.

    Columns in:
        ``column`` (string, nullable): the raw date as read.

    Columns out:
        ``out`` (string): ``yyyy-MM-dd`` for a date, ``yyyy-MM-ddTHH:mm:ss`` for a date and time
        (local time as written: dumps carry no offset, so none is added); NULL unless
        ``valid``/``repaired``. ``out_status``, ``out_reason`` (string, as for the fields).
        ``out_source_format`` (string): the shape of the source with every digit written ``9``
        and every letter other than 年/月/日/T written ``a`` (``9999/99/99 99:99``), or
        ``excel_serial``; NULL when missing. No record value is kept in it, only the form.

    Forms (after full-width folding and trimming; ``-``, ``/`` and ``.`` all accepted between
    year, month and day; month, day and hour may have one digit):
        ``yyyyMMdd``; ``yyyyMMddHHmmss``; ``yyyy-M-d``; ``yyyy-M-d H:mm[:ss]`` (space or ``T``);
        ``yyyy年M月d日``; 5-digit Excel serial numbers (:data:`EXCEL_EPOCH`, with a fraction of
        a day as the time, rounded to the second).

    Rules:
        - NULL / blank / placeholder token -> ``missing``.
        - Any other form -> ``invalid`` ``bad_format``; the right form but no such date or time
          (``19850230``, ``1985-13-01``) -> ``invalid`` ``invalid_date``.
        - 1900-01-01 and 1970-01-01 -> ``invalid`` ``placeholder`` (DOMAIN.md section 5).
        - After ``reference_date`` (if given) -> ``invalid`` ``date_in_future``.
        - ``valid`` when the source already was the ISO output, else ``repaired`` ``reformatted``.

    Spark parsing is strict (``try_to_timestamp``/``try_to_date`` with the session's CORRECTED
    policy), so impossible dates are NULL, never rolled over, and nothing raises under ANSI mode.

    Args:
        df: input rows.
        column: the raw date column.
        out: output column name (and prefix of the status columns).
        reference_date: optional latest possible date (the seizure date).

    Returns:
        ``df`` with the columns above added.

    Raises:
        ValueError: if ``column`` is absent or would be overwritten.
    """
    outputs = (out, f"{out}_status", f"{out}_reason", f"{out}_source_format")
    _check_columns(df, column, outputs)
    tmp = f"__cf_date_{out}_"
    raw = F.col(column)
    df = df.withColumn(tmp + "t", _fold(raw))
    t = F.col(tmp + "t")
    # unify separators: 年/月 and / . -> '-', 日 -> '', T -> ' '
    unified = F.regexp_replace(F.translate(t, "年月/.T", "---- "), "日", "")
    df = df.withColumn(tmp + "u", unified)
    u = F.col(tmp + "u")
    serial_shape = t.rlike(r"^[0-9]{5}(\.[0-9]+)?$")
    serial = F.when(serial_shape, t.cast("double"))
    days = F.floor(serial).cast("int")
    date_of_serial = F.when(days >= 61, F.date_add(F.lit(EXCEL_EPOCH), days)).when(
        (days >= 1) & (days < 60), F.date_add(F.lit(EXCEL_EPOCH + datetime.timedelta(days=1)), days)
    )
    secs = F.least(F.round((serial - days) * 86400).cast("int"), F.lit(86399))
    has_fraction = serial_shape & t.contains(".") & (secs > 0)
    serial_ts = F.make_timestamp_ntz(
        F.year(date_of_serial), F.month(date_of_serial), F.dayofmonth(date_of_serial),
        F.floor(secs / 3600).cast("int"), F.floor(secs % 3600 / 60).cast("int"), (secs % 60).cast("decimal(8,6)"),
    )  # fmt: skip
    ts = (
        F.when(t.rlike(r"^[0-9]{14}$"), F.try_to_timestamp(t, F.lit("yyyyMMddHHmmss")))
        .when(u.rlike(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2} [0-9]{1,2}:[0-9]{2}:[0-9]{2}$"),
              F.try_to_timestamp(u, F.lit("yyyy-M-d H:mm:ss")))
        .when(u.rlike(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2} [0-9]{1,2}:[0-9]{2}$"),
              F.try_to_timestamp(u, F.lit("yyyy-M-d H:mm")))
        .when(has_fraction & date_of_serial.isNotNull(), serial_ts)
    )  # fmt: skip
    date = (
        F.when(t.rlike(r"^[0-9]{8}$"), F.try_to_date(t, "yyyyMMdd"))
        .when(u.rlike(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$"), F.try_to_date(u, "yyyy-M-d"))
        .when(serial_shape & ~has_fraction, date_of_serial)
    )
    is_time_shape = t.rlike(r"^[0-9]{14}$") | u.rlike(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2} [0-9]{1,2}:[0-9]{2}(:[0-9]{2})?$")
    is_date_shape = t.rlike(r"^[0-9]{8}$") | u.rlike(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$") | serial_shape
    df = df.withColumns(
        {
            tmp + "ts": ts.cast("timestamp_ntz"),
            tmp + "d": date,
            tmp + "missing": _missing_reason(raw, t, t, PLACEHOLDERS),
            tmp + "shape": F.when(is_time_shape, F.lit("time")).when(is_date_shape, F.lit("date")),
        }
    )
    ts, date, missing, shape = (F.col(tmp + n) for n in ("ts", "d", "missing", "shape"))
    day = F.coalesce(F.to_date(ts), date)
    iso = F.when(ts.isNotNull(), F.date_format(ts, "yyyy-MM-dd'T'HH:mm:ss")).otherwise(
        F.date_format(date, "yyyy-MM-dd")
    )
    verdict = (
        F.when(missing.isNotNull(), F.struct(F.lit(MISSING).alias("status"), missing.alias("reason")))
        .when(shape.isNull(), _verdict(INVALID, "bad_format"))
        .when(day.isNull(), _verdict(INVALID, "invalid_date"))
        .when(day.isin(*PLACEHOLDER_DATES), _verdict(INVALID, "placeholder"))
    )
    if reference_date is not None:
        verdict = verdict.when(day > F.lit(reference_date), _verdict(INVALID, "date_in_future"))
    verdict = verdict.when(_trim(raw) == iso, _verdict(VALID, None)).otherwise(_verdict(REPAIRED, "reformatted"))
    df = df.withColumn(tmp + "v", verdict)
    v = F.col(tmp + "v")
    result = df.withColumns(
        {
            out: F.when(v["status"].isin(VALID, REPAIRED), iso),
            f"{out}_status": v["status"],
            f"{out}_reason": v["reason"],
            f"{out}_source_format": F.when(
                missing.isNull(),
                F.when(serial_shape, F.lit("excel_serial")).otherwise(
                    F.regexp_replace(F.translate(t, "0123456789", "9999999999"), r"[\p{L}&&[^年月日T]]", "a")
                ),
            ),
        }
    )
    return result.drop(*[c for c in result.columns if c.startswith(tmp)])
