"""``casefile airflow-init | storage-init | package | synth``: setting up the machine and the data
the other commands work with, and :func:`open_storage`, the storage every command uses."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from jobs.common.config import load_config
from jobs.orchestration.embedded import airflow_env


def open_storage():
    """The storage backend the configuration selects (:func:`jobs.common.storage.get_storage`)."""
    from jobs.common.storage import get_storage

    return get_storage(load_config())


# --------------------------------------------------------------------------- airflow-init


def ensure_airflow_db(say=print) -> None:
    """Create or migrate the embedded Airflow metadata DB once (a marker file records it).

    Args:
        say: where the one line about it goes (``Output.say``: stderr under ``--json``).
    """
    env = airflow_env()
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    marker = Path(env["AIRFLOW_HOME"]) / ".db-migrated"
    if marker.exists():
        return
    say(f"casefile: initialising Airflow metadata DB in {env['AIRFLOW_HOME']}")
    subprocess.run([str(Path(sys.executable).parent / "airflow"), "db", "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
    marker.write_text("ok\n")


def cmd_airflow_init(_: argparse.Namespace) -> int:
    ensure_airflow_db()
    return 0


# --------------------------------------------------------------------------- synth


def cmd_synth(args: argparse.Namespace) -> int:
    from jobs.synth import generate_seizure

    truth = generate_seizure(Path(args.out), records=args.records, seed=args.seed, rar=args.rar, access=args.access)
    print(f"casefile: synthetic seizure in {Path(args.out) / 'evidence'}: {truth['raw_rows']:,} raw rows, "
          f"{truth['unique_records']:,} unique records; ground truth {Path(args.out) / 'ground_truth.json'}")
    return 0


# --------------------------------------------------------------------------- deployment helpers


def cmd_storage_init(_: argparse.Namespace) -> int:
    from jobs.common.storage import minio_storage

    config = load_config()
    if config.storage_backend != "minio":
        print("casefile: storage-init is for CASEFILE_STORAGE=minio (the local folder needs none)")
        return 0
    locks = minio_storage(config).ensure_buckets()
    for store, bucket in config.buckets.items():
        print(f"casefile: bucket {bucket} ({store}) ready{', object lock on' if locks.get(store) else ''}")
    return 0


def build_package_zip(dest: Path) -> Path:
    """Zip the ``jobs`` package for ``spark-submit --py-files``: every file of it (modules and package
    data: the page templates and ``jobs/export/catalog.yaml``), bytecode caches left out.

    Every file, not a list of suffixes: a stage on the cluster imports ``jobs`` from this zip, and a
    data file the list missed fails there only (the export stage without ``catalog.yaml``, 2026-12-02).

    Returns:
        ``dest``, written atomically, with fixed timestamps so that equal sources give equal bytes.
    """
    import zipfile

    package = Path(__file__).resolve().parents[1]  # jobs/
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for file in sorted(p for p in package.rglob("*")
                           if p.is_file() and "__pycache__" not in p.relative_to(package).parts and p.suffix not in (".pyc", ".pyo")):
            info = zipfile.ZipInfo(f"jobs/{file.relative_to(package).as_posix()}", date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, file.read_bytes())
    os.replace(tmp, dest)
    return dest


def cmd_package(args: argparse.Namespace) -> int:
    out = build_package_zip(Path(args.out))
    print(f"casefile: {out} (set CASEFILE_PY_FILES={out.resolve()})")
    return 0
