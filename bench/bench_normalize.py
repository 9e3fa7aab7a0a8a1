"""Benchmark ``normalize_records``: synthetic raw records in, normalized Parquet out, rows/s as JSON.

Usage::

    .venv/bin/python bench/bench_normalize.py --rows 1000000 --out bench/results/normalize_1m.json

The raw records are made with Spark expressions only (hashes of the row id pick the variants), so
no Faker and no Python per row: a mix of valid, 15-digit, full-width, spaced, masked and invalid ID
numbers; mobile and landline numbers in the formats seen in dumps; names from small lists of
surnames and given-name characters, some traditional, some transcribed with a name dot; addresses,
bank cards and e-mail addresses. All values are synthetic.

The input is written to Parquet first (not timed). The timed part reads it, runs
``normalize_records`` and writes the result as Parquet, which is what the normalize job does.

In the same run, on the same Parquet, two comparisons are timed (issue 4): Spark with only the
ID / phone / name normalizers (``normalize_names``, ``normalize_id_numbers``,
``normalize_phones``), and DuckDB running ``bench.duckdb_baseline.NORMALIZE_SQL`` (the same
ID / phone / name rules in SQL, plus its light address / bank card / e-mail cleaning; no OpenCC,
no address divisions) with all cores. ``duckdb_ratio`` is DuckDB rows/s over Spark rows/s for the
ID / phone / name rules. DuckDB runs after the Spark session is stopped, so they do not share cores.
Only counts are printed, never record values. The machine may be shared: the result records the
load average and the CPU seconds of the Spark JVM and its Python workers next to the wall time.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jobs.common import fields
from jobs.engine import schemas  # noqa: E402
from jobs.engine.session import get_spark  # noqa: E402
from jobs.normalize.expressions import FULLWIDTH_TO_ASCII  # noqa: E402
from jobs.normalize.id_numbers import id_check_char, normalize_id_numbers  # noqa: E402
from jobs.normalize.names import normalize_names  # noqa: E402
from jobs.normalize.phones import normalize_phones  # noqa: E402
from jobs.normalize.transforms import normalize_records  # noqa: E402

REFERENCE_DATE = datetime.date(2019, 4, 12)

REGIONS = ["110105", "310104", "440524", "440305", "320102", "510107", "330106", "420111", "610113", "650102"]
SURNAMES = ["王", "李", "张", "張", "刘", "劉", "陈", "陳", "杨", "黄", "黃", "赵", "吴", "周", "徐", "孙",
            "马", "朱", "胡", "郭", "何", "林", "罗", "高", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯",
            "邓", "曹", "彭", "曾", "萧", "蕭", "於", "余"]  # fmt: skip
GIVEN = ["伟", "偉", "芳", "娜", "敏", "静", "靜", "丽", "麗", "强", "強", "磊", "军", "軍", "洋", "勇",
         "艳", "艷", "杰", "傑", "娟", "涛", "濤", "明", "超", "秀", "霞", "平", "刚", "剛", "桂", "英",
         "华", "華", "玉", "兰", "蘭", "红", "紅", "志", "国", "國", "建", "文", "云", "雲", "海", "东",
         "東", "晓", "曉", "小", "春", "金", "德", "成", "龙", "龍", "鹏", "鵬"]  # fmt: skip
UYGHUR = ["买买提", "艾力", "阿不都", "热合曼", "吐尔逊", "古丽", "阿依", "努尔"]
DOTS = ["\u00b7", "\u2022", ".", "\u30fb", "\uff0e"]
MOBILE_PREFIXES = ["130", "131", "135", "136", "138", "139", "150", "152", "158", "159", "166", "177",
                   "180", "186", "187", "188", "189", "199", "145", "173"]  # fmt: skip
CITIES = ["北京市朝阳区", "上海市黄浦区", "广东省深圳市南山区", "江苏省南京市玄武区", "四川省成都市武侯区",
          "浙江省杭州市西湖区", "湖北省武汉市洪山区", "陕西省西安市雁塔区", "朝阳区", "鼓楼区"]  # fmt: skip
STREETS = ["建国路", "人民路", "解放路", "中山路", "和平街", "新华路"]
PINYIN = ["zhangwei", "wangfang", "li.na", "liuyang", "chenjie", "ZhangSan", "yang_min", "huanglei"]
DOMAINS = ["qq.com", "163.com", "126.com", "sina.com", "QQ.COM", "gmail.com"]

ASCII_TO_FULLWIDTH = {ascii_: full for full, ascii_ in FULLWIDTH_TO_ASCII.items() if ascii_ != " "}


def _rand(seed: int, n: int) -> Column:
    """A deterministic pseudo-random integer in [0, n) per row."""
    return F.pmod(F.xxhash64(F.col("id"), F.lit(seed)), F.lit(n))


def _pick(values: list[str], seed: int) -> Column:
    return F.element_at(F.array(*[F.lit(v) for v in values]), (_rand(seed, len(values)) + 1).cast("int"))


def _digits(seed: int, width: int) -> Column:
    return F.lpad(_rand(seed, 10**width).cast("string"), width, "0")


def _fullwidth(col: Column) -> Column:
    return F.translate(col, "".join(ASCII_TO_FULLWIDTH), "".join(ASCII_TO_FULLWIDTH.values()))


def _spaced(col: Column, sep: str) -> Column:
    return F.concat_ws(sep, F.substring(col, 1, 6), F.substring(col, 7, 8), F.substring(col, 15, 10))


def synthetic_raw_records(spark: SparkSession, rows: int) -> DataFrame:
    """``rows`` synthetic raw records with the ``raw_records`` columns (``schemas.RAW_RECORD``)."""
    # Building blocks first, in their own projections: referenced by many variants below, they
    # would otherwise be copied into one expression too large for whole-stage code generation.
    birth = F.date_format(F.date_add(F.lit(datetime.date(1940, 1, 1)), _rand(2, 25_000).cast("int")), "yyyyMMdd")
    base = spark.range(rows).withColumn("body", F.concat(_pick(REGIONS, 1), birth, _digits(3, 3)))
    base = base.withColumns(
        {
            "id18": F.concat(F.col("body"), id_check_char(F.col("body"))),
            "mobile": F.concat(_pick(MOBILE_PREFIXES, 6), _digits(7, 8)),
            "han_name": F.concat(
                _pick(SURNAMES, 12), _pick(GIVEN, 13), F.when(_rand(14, 3) > 0, _pick(GIVEN, 15)).otherwise(F.lit(""))
            ),
            "address": F.concat(
                _pick(CITIES, 21), _pick(STREETS, 22), (_rand(23, 300) + 1).cast("string"), F.lit("号")
            ),
            "card": F.concat(F.lit("62"), _digits(25, 8), _digits(26, 9)),
            "email": F.concat(_pick(PINYIN, 28), _rand(29, 1000).cast("string"), F.lit("@"), _pick(DOMAINS, 30)),
        }
    )
    body, id18, mobile, han_name = F.col("body"), F.col("id18"), F.col("mobile"), F.col("han_name")
    address, card, email = F.col("address"), F.col("card"), F.col("email")
    variant = _rand(4, 20)
    id_raw = (
        F.when(variant < 11, id18)
        .when(variant == 11, F.lower(id18))
        .when(variant < 14, F.concat(F.substring(body, 1, 6), F.substring(body, 9, 9)))  # 15-digit
        .when(variant == 14, _fullwidth(id18))
        .when(variant == 15, _spaced(id18, " "))
        .when(variant == 16, F.concat(body, F.lit("0")))  # mostly a wrong check digit
        .when(variant == 17, F.concat(F.substring(body, 1, 6), F.lit("********"), F.substring(id18, 15, 4)))
        .when(variant == 18, F.concat(F.substring(id18, 1, 1), F.lit("."), F.substring(id18, 2, 5), F.lit("E+17")))
        .otherwise(_pick(["\\N", "", "无", None], 5))  # type: ignore[list-item]
    )

    variant = _rand(8, 20)
    phone_raw = (
        F.when(variant < 9, mobile)
        .when(variant == 9, F.concat(F.lit("+86 "), F.substring(mobile, 1, 3), F.lit("-"), F.substring(mobile, 4, 4),
                                     F.lit("-"), F.substring(mobile, 8, 4)))
        .when(variant == 10, F.concat(F.lit("86"), mobile))
        .when(variant == 11, F.concat(F.lit("0086"), mobile))
        .when(variant == 12, _fullwidth(mobile))
        .when(variant == 13, F.concat(F.lit("17951 "), mobile))
        .when(variant == 14, F.concat(F.substring(mobile, 1, 3), F.lit("****"), F.substring(mobile, 8, 4)))
        .when(variant == 15, F.concat(F.lit("025-8"), _digits(9, 3), F.lit(" "), _digits(10, 4)))
        .when(variant == 16, F.concat(F.lit("8"), _digits(11, 7)))  # local digits, no area code
        .when(variant == 17, F.lit("13800138000"))
        .otherwise(F.lit(None).cast("string"))
    )

    variant = _rand(16, 20)
    name_raw = (
        F.when(variant < 14, han_name)
        .when(variant == 14, F.concat(F.substring(han_name, 1, 1), F.lit(" "), F.substring(han_name, 2, 2)))
        .when(variant < 17, F.concat(_pick(UYGHUR, 17), _pick(DOTS, 18), _pick(UYGHUR, 19)))
        .when(variant == 17, F.concat(F.substring(han_name, 1, 1), F.lit("*")))
        .when(variant == 18, F.lit("ＺＨＡＮＧ　Ｗｅｉ"))
        .otherwise(_pick(["无", "NULL", "test", None], 20))  # type: ignore[list-item]
    )

    address_raw = (
        F.when(_rand(24, 10) < 7, address)
        .when(_rand(24, 10) < 9, F.concat(F.lit(" "), _fullwidth(address), F.lit("\u3000")))
        .otherwise(F.lit("不详"))
    )

    variant = _rand(27, 10)
    bank_card_raw = (
        F.when(variant < 6, card)
        .when(variant == 6, F.concat_ws(" ", F.substring(card, 1, 4), F.substring(card, 5, 4),
                                        F.substring(card, 9, 4), F.substring(card, 13, 4), F.substring(card, 17, 3)))
        .when(variant == 7, F.substring(card, 1, 10))
        .when(variant == 8, F.lit("0000000000000000"))
        .otherwise(F.lit(None).cast("string"))
    )

    variant = _rand(31, 10)
    email_raw = (
        F.when(variant < 7, email)
        .when(variant == 7, _fullwidth(email))
        .when(variant == 8, F.concat(email, F.lit(" ")))
        .otherwise(F.lit(None).cast("string"))
    )

    return base.select(
        F.concat(F.lit("bench-"), F.col("id").cast("string")).alias("record_id"),
        F.lit("0" * 64).alias("item_sha256"),
        F.lit("bench/synthetic.csv").alias("item_path"),
        F.lit("").alias("sheet"),
        (F.col("id") + 1).alias("line_number"),
        F.lit(None).cast("long").alias("byte_offset"),
        name_raw.alias("name_raw"),
        id_raw.alias("id_number_raw"),
        phone_raw.alias("phone_raw"),
        address_raw.alias("address_raw"),
        bank_card_raw.alias("bank_card_raw"),
        email_raw.alias("email_raw"),
        F.lit("{}").alias("extra"),
    )


def _memory_bytes() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _cpu_seconds(pid: int) -> float | None:
    """CPU seconds used so far by process ``pid`` and its descendants (the Python workers).

    The machine is shared, so wall time depends on other people's load; CPU time much less so.
    """
    try:
        import psutil
    except ImportError:
        return None
    root = psutil.Process(pid)
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        try:
            t = proc.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
        except psutil.Error:
            pass
    return total


def run(rows: int, *, master: str, driver_memory: str, workdir: str) -> dict:
    spark = get_spark("casefile-bench-normalize", master=master, conf={"spark.driver.memory": driver_memory})
    raw_path, out_path = os.path.join(workdir, "raw_records"), os.path.join(workdir, "records")
    synthetic_raw_records(spark, rows).write.mode("overwrite").parquet(raw_path)

    jvm_pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
    load_before, cpu_before = os.getloadavg(), _cpu_seconds(jvm_pid)
    started = time.perf_counter()
    raw = spark.read.schema(schemas.RAW_RECORD).parquet(raw_path)
    normalize_records(raw, reference_date=REFERENCE_DATE).write.mode("overwrite").parquet(out_path)
    seconds = time.perf_counter() - started
    load_after, cpu_after = os.getloadavg(), _cpu_seconds(jvm_pid)
    cpu_seconds = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before

    out = spark.read.parquet(out_path)
    status_columns = [f"{f}_status" for f in fields.CANONICAL_FIELDS]
    status_counts = {
        column: {r[column]: r["count"] for r in out.groupBy(column).count().collect()} for column in status_columns
    }
    output_rows = out.count()
    address_statuses = {r["address_status"]: r["count"] for r in out.groupBy("address_status").count().collect()}

    # Same rules as the DuckDB baseline: ID / phone / name only, same input, same write.
    started = time.perf_counter()
    raw = spark.read.schema(schemas.RAW_RECORD).parquet(raw_path)
    core = normalize_phones(normalize_id_numbers(normalize_names(raw), reference_date=REFERENCE_DATE))
    core.write.mode("overwrite").parquet(os.path.join(workdir, "records_core"))
    core_seconds = time.perf_counter() - started
    import opencc
    import pyspark

    result = {
        "benchmark": "normalize_records + parquet write",
        "rows": rows,
        "output_rows": output_rows,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
        "cpu_seconds": None if cpu_seconds is None else round(cpu_seconds, 2),
        "rows_per_cpu_second": None if not cpu_seconds else round(rows / cpu_seconds),
        "spark_master": master,
        "driver_memory": driver_memory,
        "cores": os.cpu_count(),
        "memory_bytes": _memory_bytes(),
        "load_average_1m_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
        "pyspark": pyspark.__version__,
        "java": spark.sparkContext._jvm.System.getProperty("java.version"),
        "python": platform.python_version(),
        "opencc": getattr(opencc, "__version__", "unknown"),
        "shuffle_partitions": spark.conf.get("spark.sql.shuffle.partitions"),
        "status_counts": status_counts,
        "address_status_counts_after_divisions": address_statuses,
        "spark_id_phone_name": {"seconds": round(core_seconds, 2), "rows_per_second": round(rows / core_seconds)},
    }
    spark.stop()
    result["duckdb_id_phone_name"] = _duckdb(raw_path, workdir, rows)
    result["duckdb_ratio"] = round(
        result["duckdb_id_phone_name"]["rows_per_second"] / result["spark_id_phone_name"]["rows_per_second"], 2
    )
    return result


def _duckdb(raw_path: str, workdir: str, rows: int) -> dict:
    """Time ``bench.duckdb_baseline.NORMALIZE_SQL`` on the same raw Parquet (read, normalize, write)."""
    import duckdb

    from bench.duckdb_baseline import NORMALIZE_SQL

    out = os.path.join(workdir, "duckdb_records.parquet")
    sql = NORMALIZE_SQL.replace("{raw}", os.path.join(raw_path, "*.parquet")).replace("{records_out}", out)
    con = duckdb.connect()
    started = time.perf_counter()
    con.execute(sql)
    seconds = time.perf_counter() - started
    n = con.execute(f"SELECT count(*) FROM read_parquet('{out}')").fetchone()[0]
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    con.close()
    return {
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
        "output_rows": n,
        "threads": threads,
        "duckdb": duckdb.__version__,
        "scope": "bench/duckdb_baseline.py NORMALIZE_SQL: ID/phone/name rules (+ light address/card/e-mail cleaning)",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--master", default="local[*]")
    parser.add_argument("--driver-memory", default="2g")
    parser.add_argument("--out", type=Path, help="also write the JSON result to this file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="casefile-bench-") as workdir:
        result = run(args.rows, master=args.master, driver_memory=args.driver_memory, workdir=workdir)
    text = json.dumps(result, indent=2, ensure_ascii=False, sort_keys=False)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
