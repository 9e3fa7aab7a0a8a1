"""``make bench``: seizures of 1M, 4M and 10M raw rows through the Airflow DAG, stage by stage,
side by side with a DuckDB baseline of the same rules on the same machine.

For each size: generate a seeded seizure (several files and formats), run ``casefile run`` (the
real DAG, SparkSubmitOperator per stage, local[*]) with Spark event logs on, then read per stage
from the event log: wall time, rows per second, peak JVM heap and process RSS of driver/executors,
peak Python worker RSS, shuffle bytes written/read, memory and disk spill; the candidate pair count
of deduplicate when the stage reports one. Then run ``bench/duckdb_baseline.py`` on the same intake
output and compute casefile/DuckDB per stage. Results: ``bench/results/pipeline_<N>.json`` and the
table between the ``bench:start``/``bench:end`` markers of README.md, regenerated from all result
files (never typed by hand).

Usage: ``python -m bench.run --sizes 1000000,4000000,10000000 [--seed 1] [--table-only]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
STAGES = ("intake", "normalize", "deduplicate", "export")
LOGICAL_DATE = "2026-01-01T00:00:00+00:00"


def machine() -> dict:
    import importlib.metadata as md

    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "cores": os.cpu_count(), "memory_gib": round(mem_kb / 1024 / 1024, 1), "python": platform.python_version(),
        "java": subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0] if shutil.which("java") else None,
        "pyspark": md.version("pyspark"), "apache-airflow": md.version("apache-airflow"), "duckdb": md.version("duckdb"),
        "great-expectations": md.version("great-expectations"), "platform": platform.platform(),
    }


def _event_lines(path: Path):
    """JSON lines of one application's event log: a plain file, or a Spark 4 ``eventlog_v2_*``
    folder of rolled ``events_<n>_<app>[.zstd]`` files (read in roll order)."""
    files = [path]
    if path.is_dir():
        files = sorted((f for f in path.iterdir() if f.name.startswith("events_")), key=lambda f: int(f.name.split("_")[1]))
    for f in files:
        if f.suffix == ".zstd":
            import io

            import zstandard

            with open(f, "rb") as raw, zstandard.ZstdDecompressor().stream_reader(raw) as z:
                yield from io.TextIOWrapper(z, encoding="utf-8")
        else:
            with open(f, encoding="utf-8") as fh:
                yield from fh


def parse_event_log(path: Path) -> dict:
    """Per-application metrics from a Spark event log (JSON lines; a file or a v2 folder)."""
    start = end = None
    name = None
    m = {"shuffle_write_bytes": 0, "shuffle_read_bytes": 0, "memory_spill_bytes": 0, "disk_spill_bytes": 0,
         "peak_execution_memory_bytes": 0, "tasks": 0, "jvm_heap_peak_bytes": 0, "jvm_rss_peak_bytes": 0, "python_rss_peak_bytes": 0}
    for line in _event_lines(path):
        ev = json.loads(line)
        kind = ev.get("Event")
        if kind == "SparkListenerApplicationStart":
            start, name = ev["Timestamp"], ev["App Name"]
        elif kind == "SparkListenerApplicationEnd":
            end = ev["Timestamp"]
        elif kind == "SparkListenerTaskEnd" and ev.get("Task Metrics"):
            tm = ev["Task Metrics"]
            m["tasks"] += 1
            m["shuffle_write_bytes"] += tm.get("Shuffle Write Metrics", {}).get("Shuffle Bytes Written", 0)
            sr = tm.get("Shuffle Read Metrics", {})
            m["shuffle_read_bytes"] += sr.get("Remote Bytes Read", 0) + sr.get("Local Bytes Read", 0)
            m["memory_spill_bytes"] += tm.get("Memory Bytes Spilled", 0)
            m["disk_spill_bytes"] += tm.get("Disk Bytes Spilled", 0)
            m["peak_execution_memory_bytes"] = max(m["peak_execution_memory_bytes"], tm.get("Peak Execution Memory", 0))
        elif kind in ("SparkListenerStageExecutorMetrics", "SparkListenerExecutorMetricsUpdate", "SparkListenerTaskEnd"):
            em = ev.get("Executor Metrics") or ev.get("Task Executor Metrics") or {}
            if isinstance(em, dict):
                m["jvm_heap_peak_bytes"] = max(m["jvm_heap_peak_bytes"], em.get("JVMHeapMemory", 0))
                m["jvm_rss_peak_bytes"] = max(m["jvm_rss_peak_bytes"], em.get("ProcessTreeJVMRSSMemory", 0))
                m["python_rss_peak_bytes"] = max(m["python_rss_peak_bytes"], em.get("ProcessTreePythonRSSMemory", 0))
    m["app_name"] = name
    m["wall_seconds"] = round((end - start) / 1000, 3) if start and end else None
    return m


def run_size(n: int, seed: int, skip_duckdb: bool, collect_only: bool = False) -> dict:
    base = REPO / "var" / "bench" / str(n)
    sample = base / "sample"
    home = base / "home"
    events = base / "eventlog"
    if collect_only:  # results of a finished run in var/bench/<n> (its DAG wall time from run.json)
        done = json.loads((base / "run.json").read_text())
        return collect(n, seed, base, done["dag_wall_seconds"], done["stdout"], skip_duckdb)
    if not (sample / "ground_truth.json").is_file() or json.loads((sample / "ground_truth.json").read_text())["seed"] != seed:
        shutil.rmtree(sample, ignore_errors=True)
        t = time.perf_counter()
        from jobs.synth import generate_seizure

        generate_seizure(sample, records=n, seed=seed)
        print(f"bench: generated {n:,} rows in {time.perf_counter() - t:.1f}s", flush=True)
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(events, ignore_errors=True)
    events.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "CASEFILE_"))}
    env.update(CASEFILE_HOME=str(home), AIRFLOW_HOME=str(home / "airflow"), CASEFILE_SPARK_CONF=json.dumps({
        "spark.eventLog.enabled": "true", "spark.eventLog.dir": f"file://{events}",
        "spark.eventLog.rolling.enabled": "false", "spark.eventLog.compress": "false",
        "spark.eventLog.logStageExecutorMetrics": "true", "spark.executor.processTreeMetrics.enabled": "true",
        "spark.driver.memory": os.environ.get("BENCH_DRIVER_MEMORY", "12g"),
    }))
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "jobs.cli", "run", "--case", "BENCH", "--seizure", f"N{n}", "--evidence", str(sample / "evidence"),
                           "--logical-date", LOGICAL_DATE, "--seizure-date", "2026-01-01", "--ground-truth", str(sample / "ground_truth.json")],
                          env=env, capture_output=True, text=True)
    dag_seconds = time.perf_counter() - t
    print(proc.stdout[-3000:], flush=True)
    (base / "run.json").write_text(json.dumps({"dag_wall_seconds": round(dag_seconds, 1), "returncode": proc.returncode,
                                               "stdout": proc.stdout[-6000:]}, indent=2) + "\n")
    if proc.returncode not in (0, 6):  # 6 (GROUND_TRUTH_MISMATCH, jobs.cli.exitcodes): finished, but a count differs (recorded)
        raise SystemExit(f"bench: the {n:,}-row run failed (exit {proc.returncode}); log in {home / 'logs'}")
    return collect(n, seed, base, dag_seconds, proc.stdout, skip_duckdb)


def collect(n: int, seed: int, base: Path, dag_seconds: float, stdout: str, skip_duckdb: bool) -> dict:
    """Per-stage metrics of a finished bench run from its event logs and committed manifests."""
    from jobs.common.paths import run_key

    sample, home, events = base / "sample", base / "home", base / "eventlog"

    work = home / "work" / "BENCH" / f"N{n}" / run_key(f"manual__{LOGICAL_DATE}")
    stages = {}
    for log in sorted(events.iterdir()):
        metrics = parse_event_log(log)
        stage = (metrics.pop("app_name") or "").replace("casefile-", "")
        manifest = json.loads((work / stage / "_COMMITTED.json").read_text())
        rows_in = manifest["ledger"]["records_in"]
        metrics["rows_in"] = rows_in
        metrics["rows_per_second"] = round(rows_in / metrics["wall_seconds"]) if metrics["wall_seconds"] else None
        if stage == "deduplicate":
            stats = json.loads((work / stage / "data" / "counts.json").read_text())["linkage"]["stats"]
            metrics["candidate_pairs"] = stats["candidate_pairs"]
            metrics["probable_duplicates"] = stats["probable_duplicates"]
        stages[stage] = metrics
    result = {"raw_rows": json.loads((sample / "ground_truth.json").read_text())["raw_rows"], "seed": seed,
              "dag_wall_seconds": round(dag_seconds, 1), "stages": stages, "machine": machine(),
              "matches_ground_truth": "matches the generator's ground_truth.json" in stdout}
    linkage_truth = sample / "linkage_truth.csv"
    if linkage_truth.is_file():
        from jobs.evaluation.linkage_truth import evaluate_probable_duplicates

        bundle = home / "casefiles" / "BENCH" / f"N{n}" / run_key(f"manual__{LOGICAL_DATE}")
        result["probable_duplicate_accuracy"] = evaluate_probable_duplicates(bundle / "records.csv", linkage_truth)
    if not skip_duckdb:
        from bench.duckdb_baseline import run_baseline

        raw = str(work / "intake" / "data" / "raw_records" / "*.parquet")
        duck = run_baseline(raw, base / "duckdb")
        result["duckdb"] = duck
        for stage in ("normalize", "deduplicate"):
            if stage in stages and stages[stage]["wall_seconds"]:
                stages[stage]["duckdb_seconds"] = duck[stage]["seconds"]
                stages[stage]["ratio_to_duckdb"] = round(stages[stage]["wall_seconds"] / max(duck[stage]["seconds"], 1e-3), 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"pipeline_{n}.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    return result


def render_table() -> str:
    rows = ["| raw rows | stage | wall s | rows/s | JVM heap peak GiB | JVM RSS peak GiB | Python RSS peak GiB | shuffle write MiB | spill MiB | candidate pairs | DuckDB s | casefile/DuckDB |",
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for path in sorted(RESULTS.glob("pipeline_*.json"), key=lambda p: int(p.stem.split("_")[1])):
        r = json.loads(path.read_text())
        for stage in STAGES:
            s = r["stages"].get(stage)
            if not s:
                continue
            pairs = f"{s['candidate_pairs']:,}" if "candidate_pairs" in s else ""
            rows.append(f"| {r['raw_rows']:,} | {stage} | {s['wall_seconds']:.1f} | {s['rows_per_second']:,} | "
                        f"{s['jvm_heap_peak_bytes'] / 2**30:.2f} | {s['jvm_rss_peak_bytes'] / 2**30:.2f} | {s['python_rss_peak_bytes'] / 2**30:.2f} | "
                        f"{s['shuffle_write_bytes'] / 2**20:.0f} | "
                        f"{(s['memory_spill_bytes'] + s['disk_spill_bytes']) / 2**20:.0f} | {pairs} | "
                        f"{s.get('duckdb_seconds', '—')} | {s.get('ratio_to_duckdb', '—')} |")
        rows.append(f"| {r['raw_rows']:,} | **whole DAG** | {r['dag_wall_seconds']:.1f} | {round(r['raw_rows'] / r['dag_wall_seconds']):,} | | | | | | | | |")
    rows.append("")
    rows.extend(render_growth())
    m = None
    for path in RESULTS.glob("pipeline_*.json"):
        m = json.loads(path.read_text())["machine"]
    note = f"\nMachine: {m['cores']} cores, {m['memory_gib']} GiB, Spark {m['pyspark']}, Airflow {m['apache-airflow']}, DuckDB {m['duckdb']}.\n" if m else ""
    return "\n".join(rows) + "\n" + note


def render_growth() -> list[str]:
    """How wall time grows with size: per stage the exponent k of t ∝ n^k between consecutive sizes
    (k = log(t2/t1) / log(n2/n1); 1 is linear), from the recorded results."""
    import math

    results = [json.loads(p.read_text()) for p in sorted(RESULTS.glob("pipeline_*.json"), key=lambda p: int(p.stem.split("_")[1]))]
    if len(results) < 2:
        return []
    heads = [f"{a['raw_rows'] / 1e6:.0f}M→{b['raw_rows'] / 1e6:.0f}M" for a, b in zip(results, results[1:])]
    out = ["| growth exponent k (t ∝ n^k) | " + " | ".join(heads) + " |", "|---|" + "---:|" * len(heads)]

    def wall(r, stage):
        return r["dag_wall_seconds"] if stage == "whole DAG" else (r["stages"].get(stage) or {}).get("wall_seconds")

    for stage in (*STAGES, "whole DAG"):
        cells = []
        for a, b in zip(results, results[1:]):
            ta, tb = wall(a, stage), wall(b, stage)
            cells.append(f"{math.log(tb / ta) / math.log(b['raw_rows'] / a['raw_rows']):.2f}" if ta and tb else "—")
        out.append(f"| {stage} | " + " | ".join(cells) + " |")
    return out


def update_readme() -> None:
    readme = REPO / "README.md"
    text = readme.read_text(encoding="utf-8")
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    if start not in text:
        return
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    readme.write_text(head + start + "\n" + render_table() + end + tail, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench")
    p.add_argument("--sizes", default="1000000,4000000,10000000")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--skip-duckdb", action="store_true")
    p.add_argument("--table-only", action="store_true", help="only regenerate the README table from bench/results")
    p.add_argument("--collect-only", action="store_true", help="re-read the finished runs in var/bench/<size> (no new run)")
    args = p.parse_args(argv)
    if not args.table_only:
        for n in [int(s) for s in args.sizes.split(",") if s]:
            run_size(n, args.seed, args.skip_duckdb, args.collect_only)
    update_readme()
    print(render_table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
