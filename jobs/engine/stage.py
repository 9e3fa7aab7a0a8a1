"""The stage template: what every Spark stage application does, written once.

Each ``jobs/<stage>/job.py`` is a Spark application started by ``spark-submit`` (from the Airflow
``SparkSubmitOperator``) with ``--case --seizure --run-id`` and the stage's own options. It is a
:class:`Stage` subclass that writes only :meth:`Stage.build`; the final :meth:`Stage.main` does the
rest, in this order:

1. parse the arguments, resolve the configuration (:func:`jobs.common.config.load_config`), log
   the run and the config digest, apply fault injection (``fault_injection.fail_stage``);
2. return at once when the stage is already committed in this run (a rerun, an Airflow "clear");
3. begin the attempt (``work/<case>/<seizure>/<run>/<stage>/_attempt``, leftovers cleared);
4. call ``build(run, **options)``, which publishes each dataset through :meth:`StageRun.publish`
   (write → read back → validate with its suite and the ledger's row count → keep the report)
   and returns a :class:`StageResult`;
5. check the record ledger and commit: the attempt becomes the stage's output and the marker
   ``_COMMITTED.json`` (the stage manifest) is written last.

Write-audit-publish: nothing is committed unless every suite passed and the ledger balances.
Logs carry counts, hashes and locations only, never record values.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, final

from jobs.common import paths
from jobs.common.config import Config, load_config
from jobs.common.custody import Ledger, begin_stage, commit_stage, is_committed, read_stage_manifest
from jobs.common.errors import InjectedFault
from jobs.common.storage import Storage, get_storage

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

log = logging.getLogger("casefile")


@dataclass(frozen=True)
class StageResult:
    """What a stage's :meth:`Stage.build` hands back for the commit.

    Attributes:
        ledger: the stage's record ledger; checked before the commit.
        manifest: the stage's own fields of its manifest (``_COMMITTED.json``). The template
            writes ``stage``, ``run_id``, ``ledger``, ``datasets`` (rows of each published dataset,
            when there is one) and ``config_digest``; an entry here with the same key replaces the
            template's (deduplicate extends ``datasets`` with its duplicate counts).
        message: the log line written once the stage is committed.
    """

    ledger: Ledger
    manifest: Mapping[str, Any] = field(default_factory=dict)
    message: str = ""


class StageRun:
    """One attempt of one stage of one run: where it reads and writes, what it has published.

    Args:
        stage: the stage name (``intake`` … ``export``).
        ctx: case, seizure and run id.
        config: the resolved configuration.
        storage: the stores (work, evidence, casefiles).
    """

    def __init__(self, stage: str, ctx: paths.RunContext, config: Config, storage: Storage) -> None:
        self.stage = stage
        self.ctx = ctx
        self.config = config
        self.storage = storage
        #: Rows of each dataset published in this attempt, in publication order.
        self.datasets: dict[str, int] = {}
        self._spark: SparkSession | None = None

    @property
    def attempt(self) -> str:
        """Key prefix (work store) of this attempt."""
        return paths.stage_attempt(self.ctx, self.stage)

    @property
    def spark(self) -> SparkSession:
        """The Spark session of this stage, started on first use with the profile's settings."""
        if self._spark is None:
            from jobs.engine.session import get_spark

            self._spark = get_spark(f"casefile-{self.stage}", conf=self.config.spark_conf)
        return self._spark

    def location(self, name: str = "") -> str:
        """Path Spark reads and writes for ``name`` inside this attempt (the attempt itself when empty)."""
        return self.storage.spark_path("work", f"{self.attempt}/{name}" if name else self.attempt)

    # ------------------------------------------------------------------------------- datasets

    def publish(self, name: str, df: DataFrame, *, suite: str, schema: StructType | None = None,
                expected_rows: int | None = None) -> DataFrame:
        """Write ``df`` as Parquet to the attempt, read it back, validate it; return what was read.

        The returned DataFrame is the dataset as stored: use it for anything computed from the
        output (counts, later datasets), so that nothing is read twice.

        Args:
            name: dataset name (``<attempt>/<name>``, later ``data/<name>``).
            df: the dataset.
            suite: the suite ``expectations/<suite>.json``.
            schema: read the dataset back with this schema (else the Parquet footer's).
            expected_rows: the exact row count the record ledger requires (added to the suite).

        Raises:
            ValidationFailed: the suite failed (nothing is committed).
        """
        df.write.mode("overwrite").parquet(self.location(name))
        return self.publish_written(name, suite=suite, schema=schema, expected_rows=expected_rows)

    def publish_written(self, name: str, *, suite: str, schema: StructType | None = None,
                        expected_rows: int | None = None) -> DataFrame:
        """:meth:`publish` for a dataset already written to the attempt as Parquet (by Spark tasks).

        Reads ``<attempt>/<name>`` back, validates it (:meth:`audit`), records its row count in
        :attr:`datasets` and returns it.

        Raises:
            ValidationFailed: the suite failed (nothing is committed).
        """
        reader = self.spark.read
        back = (reader.schema(schema) if schema is not None else reader).parquet(self.location(name))
        self.audit(back, suite, expected_rows=expected_rows)
        # A passed row-count expectation is the count: count only when the ledger gave none.
        rows = int(expected_rows) if expected_rows is not None else back.count()
        self.datasets[name] = rows
        log.info("dataset %s: %d rows written and validated", name, rows)
        return back

    def audit(self, df: DataFrame, suite: str, *, expected_rows: int | None = None, report_to: Path | None = None,
              row_count_source: str | None = "record ledger") -> None:
        """Validate ``df`` (as stored) with ``suite``, keep the report, raise on failure.

        Args:
            df: the data as read back from where it was written.
            suite: name of a suite in ``expectations/``.
            expected_rows: exact row count, added as ``expect_table_row_count_to_equal``.
            report_to: file for the report (GX result JSON); default ``<attempt>/validation/<suite>.json``.
            row_count_source: ``meta.source`` of the row-count expectation (``None``: no meta; the
                bundle's ``casefile_records`` report has none, and its bytes are part of the bundle).

        Raises:
            ValidationFailed: naming the suite and each failing expectation.
        """
        from jobs.engine.validation import validate

        extra = []
        if expected_rows is not None:
            expectation: dict[str, Any] = {"type": "expect_table_row_count_to_equal", "kwargs": {"value": int(expected_rows)}}
            if row_count_source is not None:
                expectation["meta"] = {"source": row_count_source}
            extra.append(expectation)
        report = validate(df, suite, extra_expectations=extra)
        if report_to is None:
            self.storage.write_bytes("work", f"{self.attempt}/validation/{suite}.json", report.to_json_bytes())
        else:
            report_to.parent.mkdir(parents=True, exist_ok=True)
            report_to.write_bytes(report.to_json_bytes())
        report.raise_for_failure()

    def read_committed(self, stage: str, dataset: str, schema: StructType | None = None) -> DataFrame:
        """The committed dataset of an earlier stage of this run.

        Raises:
            StageNotCommitted: that stage has not committed in this run.
        """
        read_stage_manifest(self.storage, self.ctx, stage)
        reader = self.spark.read
        location = self.storage.spark_path("work", paths.stage_data(self.ctx, stage, dataset))
        return (reader.schema(schema) if schema is not None else reader).parquet(location)

    def manifest(self, stage: str) -> dict[str, Any]:
        """The manifest (``_COMMITTED.json``) of a committed stage of this run.

        Raises:
            StageNotCommitted: that stage has not committed in this run.
        """
        return read_stage_manifest(self.storage, self.ctx, stage)

    def write_json(self, name: str, data: Any) -> None:
        """A small JSON document in the attempt (sorted keys, UTF-8, two-space indent)."""
        payload = json.dumps(data, sort_keys=True, ensure_ascii=False, indent=2).encode("utf-8")
        self.storage.write_bytes("work", f"{self.attempt}/{name}", payload)

    def read_json(self, stage: str, name: str) -> Any:
        """A JSON document of the committed output of ``stage``."""
        return json.loads(self.storage.read_bytes("work", f"{paths.stage_data(self.ctx, stage)}/{name}"))

    def close(self) -> None:
        """Stop Spark (if started) and close the storage (a staged store removes its scratch copies)."""
        try:
            if self._spark is not None:
                self._spark.stop()
                self._spark = None
        finally:
            self.storage.close()


def setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("py4j", "great_expectations", "pyspark"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


#: Arguments every stage takes (``dest`` names); any other argument is an option of the stage.
COMMON_ARGUMENTS = ("case", "seizure", "run_id")


class Stage:
    """A stage application. Subclasses set :attr:`name`, may add options, and write :meth:`build`.

    Example::

        class NormalizeStage(Stage):
            name = "normalize"

            @classmethod
            def add_arguments(cls, parser):
                parser.add_argument("--reference-date", type=dt.date.fromisoformat, required=True)

            def build(self, run, *, reference_date):
                ...
                return StageResult(ledger, {"reference_date": ...}, "normalize committed: ...")

        if __name__ == "__main__":
            raise SystemExit(NormalizeStage().main())
    """

    #: The stage name: ``intake``, ``normalize``, ``deduplicate`` or ``export``.
    name: ClassVar[str]

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """Add the stage's own options; their values reach :meth:`build` as keyword arguments."""

    def build(self, run: StageRun, **options: Any) -> StageResult:
        """The stage logic: read inputs, transform, publish each dataset; return the ledger."""
        raise NotImplementedError

    @classmethod
    def parser(cls) -> argparse.ArgumentParser:
        p = argparse.ArgumentParser(prog=f"casefile-{cls.name}")
        p.add_argument("--case", required=True)
        p.add_argument("--seizure", required=True)
        p.add_argument("--run-id", required=True)
        cls.add_arguments(p)
        return p

    @final
    def main(self, argv: Sequence[str] | None = None) -> int:
        """Run the stage as ``spark-submit jobs/<stage>/job.py`` does. Returns the exit status (0).

        Raises:
            InjectedFault: ``fault_injection.fail_stage`` names this stage.
            ValidationFailed, LedgerError, StageNotCommitted: from :meth:`execute`.
        """
        setup_logging()
        args = vars(self.parser().parse_args(argv))
        config = load_config()
        ctx = paths.RunContext(args["case"], args["seizure"], args["run_id"])
        log.info("stage %s: case=%s seizure=%s run=%s config=%s", self.name, ctx.case_id, ctx.seizure_id, ctx.run_id, config.digest()[:12])
        if config.fail_stage == self.name:
            raise InjectedFault(f"stage {self.name!r} failed on purpose (fault_injection.fail_stage / CASEFILE_FAIL_STAGE)")
        run = StageRun(self.name, ctx, config, get_storage(config))
        try:
            self.execute(run, **{k: v for k, v in args.items() if k not in COMMON_ARGUMENTS})
        finally:
            run.close()
        return 0

    @final
    def execute(self, run: StageRun, **options: Any) -> bool:
        """Skip if committed, else begin the attempt, :meth:`build`, check the ledger and commit.

        Returns:
            ``False`` when the stage was already committed in this run (nothing done), else ``True``.

        Raises:
            LedgerError: the ledger does not balance (nothing is committed).
        """
        if is_committed(run.storage, run.ctx, self.name):
            log.info("%s already committed for run %s: nothing to do", self.name, run.ctx.run_id)
            return False
        begin_stage(run.storage, run.ctx, self.name)
        result = self.build(run, **options)
        manifest: dict[str, Any] = {"stage": self.name, "run_id": run.ctx.run_id, "ledger": result.ledger.check().to_dict()}
        if run.datasets:
            manifest["datasets"] = dict(run.datasets)
        manifest.update(result.manifest)
        manifest["config_digest"] = run.config.digest()
        commit_stage(run.storage, run.ctx, self.name, manifest)
        if result.message:
            log.info("%s", result.message)
        return True
