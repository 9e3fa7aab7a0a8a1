"""What every stage application shares: arguments, configuration, logging, fault injection.

Each ``jobs/<stage>/job.py`` is a Spark application started by ``spark-submit`` (from the Airflow
``SparkSubmitOperator``) with ``--case --seizure --run-id`` and stage-specific options. Logs carry
counts, hashes and locations only, never record values.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from jobs.common import paths
from jobs.common.config import Config, load_config
from jobs.common.errors import InjectedFault
from jobs.common.storage import Storage, get_storage

log = logging.getLogger("casefile")


@dataclass
class StageRun:
    """Everything a stage's ``run`` needs."""

    stage: str
    ctx: paths.RunContext
    config: Config
    storage: Storage
    args: argparse.Namespace
    spark: object = None

    def get_spark(self):
        if self.spark is None:
            from jobs.engine.session import get_spark

            self.spark = get_spark(f"casefile-{self.stage}", conf=self.config.spark_conf)
        return self.spark


def setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("py4j", "great_expectations", "pyspark"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def parser(stage: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"casefile-{stage}")
    p.add_argument("--case", required=True)
    p.add_argument("--seizure", required=True)
    p.add_argument("--run-id", required=True)
    return p


def stage_main(stage: str, run: Callable[[StageRun], None], argv: Sequence[str] | None = None,
               extra_args: Callable[[argparse.ArgumentParser], None] | None = None) -> int:
    """Parse arguments, resolve configuration, apply fault injection, and run ``run``.

    Raises:
        InjectedFault: ``fault_injection.fail_stage`` names this stage.
    """
    setup_logging()
    p = parser(stage)
    if extra_args:
        extra_args(p)
    args = p.parse_args(argv)
    config = load_config()
    ctx = paths.RunContext(args.case, args.seizure, args.run_id)
    log.info("stage %s: case=%s seizure=%s run=%s config=%s", stage, ctx.case_id, ctx.seizure_id, ctx.run_id, config.digest()[:12])
    if config.fail_stage == stage:
        raise InjectedFault(f"stage {stage!r} failed on purpose (fault_injection.fail_stage / CASEFILE_FAIL_STAGE)")
    sr = StageRun(stage=stage, ctx=ctx, config=config, storage=get_storage(config), args=args)
    try:
        run(sr)
    finally:
        if sr.spark is not None:
            sr.spark.stop()
        sr.storage.close()  # a staged store removes its local scratch copies
    return 0
