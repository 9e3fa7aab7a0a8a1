"""The one SparkSession factory of casefile.

Every stage and every test gets its session here, so the settings that make outputs deterministic
and safe (UTC session time zone, ANSI SQL, fixed shuffle partitions) are set in one place.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from pyspark.sql import SparkSession

#: Settings every casefile session carries. ``spark.sql.session.timeZone`` is UTC so that no date
#: depends on the machine; ANSI mode makes a bad cast an error instead of a silent NULL (the
#: normalizers use ``try_*`` functions where a value may legitimately fail to parse).
BASE_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "true",
    # Strict date parsing (an impossible date is NULL from try_to_date): pinned, not left to a default.
    "spark.sql.legacy.timeParserPolicy": "CORRECTED",
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.parquet.compression.codec": "zstd",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}


def get_spark(app_name: str, *, master: str | None = None, conf: Mapping[str, str] | None = None) -> SparkSession:
    """Return the SparkSession for ``app_name``.

    Args:
        app_name: Spark application name (shown in the Spark UI and logs).
        master: Spark master URL; ``None`` keeps what spark-submit set, or ``local[*]`` when run
            directly from Python.
        conf: extra Spark settings (a profile from ``configs/spark.yaml``); they override
            :data:`BASE_CONF`.

    Returns:
        The active session, created if needed.
    """
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name)
    launched_by_spark_submit = "PYSPARK_GATEWAY_PORT" in os.environ
    if master or not launched_by_spark_submit:
        builder = builder.master(master or os.environ.get("CASEFILE_SPARK_MASTER", "local[*]"))
    for key, value in {**BASE_CONF, **dict(conf or {})}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark
