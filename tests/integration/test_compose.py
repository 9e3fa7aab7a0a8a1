"""docker-compose.yml, validated statically (no Docker engine here): it parses, and every service's
image, build, command, volumes and environment names are consistent with the code and with
.env.example; every long-running service has a health check (whose airflow/casefile command is a
real one), Airflow's services wait for a healthy PostgreSQL and object store, tasks (the Spark
drivers) run on the Celery worker and not in the scheduler, and nothing needs the archived ``mc``
client. ``compose_problems`` lists what is wrong; the last tests show it does catch each mistake."""

from __future__ import annotations

import functools
import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CASEFILE_SERVICES = {"storage-init", "airflow-init", "airflow-api-server", "airflow-scheduler", "airflow-dag-processor",
                     "airflow-triggerer", "airflow-worker", "spark-master", "spark-worker"}
EXPECTED_SERVICES = CASEFILE_SERVICES | {"seaweedfs", "postgres", "valkey"}
#: One-shot services: they exit, so they have no health; what needs them waits for their success.
ONE_SHOT = {"storage-init", "airflow-init"}
AIRFLOW_SERVICES = {"airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer", "airflow-worker"}
_VAR = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(:?-[^}]*)?\}")


def source_text() -> str:
    """All of casefile's code that reads settings (the package and the DAG files)."""
    return "\n".join(p.read_text(encoding="utf-8") for d in ("jobs", "dags") for p in sorted((REPO / d).rglob("*.py")))


def env_example_vars(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip()
    return out


def command_list(cmd) -> list[str]:
    return cmd if isinstance(cmd, list) else str(cmd).split()


@functools.cache
def _airflow_parser():
    from airflow.cli.cli_parser import get_parser

    return get_parser()


@functools.cache
def _airflow_settings() -> dict:
    from airflow.configuration import retrieve_configuration_description

    return retrieve_configuration_description(include_providers=True)


def check_airflow_command(args: list[str]) -> str | None:
    try:
        _airflow_parser().parse_args(args)
    except SystemExit:
        return f"not an airflow command: airflow {' '.join(args)}"
    return None


def check_casefile_command(args: list[str]) -> str | None:
    from jobs.cli import build_parser

    try:
        build_parser().parse_args(args)
    except SystemExit:
        return f"not a casefile command: casefile {' '.join(args)}"
    return None


def compose_problems(compose_text: str, env_example_text: str, repo: Path = REPO) -> list[str]:
    """Everything inconsistent between docker-compose.yml, .env.example and the code (empty: valid)."""
    settings = _airflow_settings()
    problems: list[str] = []
    try:
        doc = yaml.safe_load(compose_text)
    except yaml.YAMLError as exc:
        return [f"docker-compose.yml does not parse: {exc}"]
    services = doc.get("services") or {}
    if set(services) != EXPECTED_SERVICES:
        problems.append(f"services {sorted(services)} != {sorted(EXPECTED_SERVICES)}")

    # variables: every ${VAR} without a default is defined in .env.example, and every one there is used
    example = env_example_vars(env_example_text)
    used = {}
    for name, default in _VAR.findall(compose_text):
        used.setdefault(name, default)
        if not default and name not in example:
            problems.append(f"${{{name}}} is not defined in .env.example")
    for name in example:
        if name not in used:
            problems.append(f".env.example defines {name}, which docker-compose.yml does not use")

    code = source_text()
    declared_volumes = set((doc.get("volumes") or {}).keys())
    for name, svc in services.items():
        svc = svc or {}
        image = svc.get("image", "")
        if not image or ":" not in image or image.endswith(":latest"):
            problems.append(f"{name}: image {image!r} is not pinned to a tag")
        for dep in (svc.get("depends_on") or []):
            if dep not in services:
                problems.append(f"{name}: depends on unknown service {dep}")
        for vol in svc.get("volumes") or []:
            source = str(vol).split(":", 1)[0]
            if source.startswith((".", "/")):
                if not (repo / source).resolve().exists():
                    problems.append(f"{name}: bind-mount source {source} does not exist")
            elif source not in declared_volumes:
                problems.append(f"{name}: volume {source} is not declared")
        if name not in CASEFILE_SERVICES:
            continue
        build = svc.get("build") or {}
        dockerfile = build.get("dockerfile_inline", "")
        if not dockerfile:
            problems.append(f"{name}: does not build the casefile image")
        for src in re.findall(r"^\s*COPY\s+(.+?)\s+\S+\s*$", dockerfile, flags=re.M):
            for part in src.split():
                if not (repo / build.get("context", ".") / part).exists():
                    problems.append(f"{name}: COPY source {part} does not exist")
        env = svc.get("environment") or {}
        for key, value in env.items():
            if key.startswith("AIRFLOW__"):
                _, section, option = key.split("__", 2)
                if option.lower() not in settings.get(section.lower(), {}).get("options", {}):
                    problems.append(f"{name}: {key} is not an Airflow setting")
            elif key.startswith(("CASEFILE_", "MINIO_ACCESS", "MINIO_SECRET", "AIRFLOW_ADMIN_")):
                if f'"{key}"' not in code and f"'{key}'" not in code and key not in compose_text.split("command", 1)[-1]:
                    problems.append(f"{name}: {key} is read nowhere in jobs/ or dags/")
            elif key == "AIRFLOW_CONN_SPARK_DEFAULT":
                spark_conn = json.loads(value)
                if f"{spark_conn['host']}:{spark_conn['port']}" != env.get("CASEFILE_SPARK_MASTER"):
                    problems.append(f"{name}: spark_default connection != CASEFILE_SPARK_MASTER")
            elif key not in ("AIRFLOW_HOME", "GX_ANALYTICS_ENABLED"):
                problems.append(f"{name}: unexpected environment variable {key}")
        if "CASEFILE_PY_FILES" in env and f"casefile package --out {env['CASEFILE_PY_FILES']}" not in dockerfile:
            problems.append(f"{name}: CASEFILE_PY_FILES {env['CASEFILE_PY_FILES']} is not built by the image")
        if "AIRFLOW__CORE__DAGS_FOLDER" in env and not re.search(r"^\s*COPY dags \./dags", dockerfile, flags=re.M):
            problems.append(f"{name}: the image does not hold the DAGs folder")
        cmd = command_list(svc.get("command", []))
        if cmd[:1] == ["airflow"]:
            if err := check_airflow_command(cmd[1:]):
                problems.append(f"{name}: {err}")
        elif cmd[:1] == ["casefile"]:
            if err := check_casefile_command(cmd[1:]):
                problems.append(f"{name}: {err}")
        elif cmd[:1] == ["bash"]:
            script = cmd[-1]
            if "airflow db migrate" not in script:
                problems.append(f"{name}: init script does not migrate the metadata DB")
            for var in re.findall(r'os\.environ\["([A-Z_]+)"\]', script):
                if var not in env:
                    problems.append(f"{name}: init script reads {var}, which is not in its environment")
        elif cmd and cmd[0].endswith("/bin/spark-class"):
            spark_home = re.search(r"SPARK_HOME=(\S+)", dockerfile)
            if not spark_home or not cmd[0].startswith(spark_home.group(1).rstrip("\\")):
                problems.append(f"{name}: spark-class is not under the image's SPARK_HOME")
            if cmd[1] not in ("org.apache.spark.deploy.master.Master", "org.apache.spark.deploy.worker.Worker"):
                problems.append(f"{name}: unknown Spark daemon {cmd[1]}")
            if cmd[1].endswith("Worker") and cmd[2] != env.get("CASEFILE_SPARK_MASTER"):
                problems.append(f"{name}: worker joins {cmd[2]}, the stages submit to {env.get('CASEFILE_SPARK_MASTER')}")
        else:
            problems.append(f"{name}: unknown command {cmd[:1]}")

    # health: every long-running service has a check; one-shot services are waited for by exit code
    for name, svc in services.items():
        svc = svc or {}
        check = (svc.get("healthcheck") or {}).get("test")
        if name in ONE_SHOT:
            continue
        if not check or check[0] not in ("CMD", "CMD-SHELL"):
            problems.append(f"{name}: no health check")
            continue
        args = check[1:] if check[0] == "CMD" else str(check[1]).replace('"', "").split()
        if args[:1] == ["airflow"] and (err := check_airflow_command(args[1:])):
            problems.append(f"{name}: health check: {err}")
        for dep, cond in _depends(svc).items():
            want = "service_completed_successfully" if dep in ONE_SHOT else "service_healthy"
            if dep in services and cond != want:
                problems.append(f"{name}: depends on {dep} with condition {cond}, not {want}")
    for name in AIRFLOW_SERVICES:
        deps = _depends(services.get(name) or {})
        for needed in ("postgres", "seaweedfs"):
            if deps.get(needed) != "service_healthy":
                problems.append(f"{name}: does not wait for a healthy {needed}")

    # tasks, so the Spark drivers (spark-submit in client mode), run on the Celery worker, not the scheduler
    executor = (services.get("airflow-scheduler", {}).get("environment") or {}).get("AIRFLOW__CORE__EXECUTOR")
    if executor != "CeleryExecutor":
        problems.append(f"airflow-scheduler: executor {executor} runs the tasks (the Spark drivers) in the scheduler")
    if command_list((services.get("airflow-worker") or {}).get("command", []))[:3] != ["airflow", "celery", "worker"]:
        problems.append("airflow-worker: is not a Celery worker")

    # the object store: a maintained S3 server (decision in docs/decisions/object-store.md), no mc
    store = (services.get("seaweedfs") or {}).get("image", "")
    if not store.startswith("chrislusf/seaweedfs:"):
        problems.append(f"seaweedfs: image {store!r} is not SeaweedFS")
    endpoint = (services.get("airflow-worker", {}).get("environment") or {}).get("CASEFILE_MINIO_ENDPOINT", "")
    if endpoint.split(":")[0] != "seaweedfs" or f'"-s3.port={endpoint.partition(":")[2]}"' not in compose_text:
        problems.append(f"CASEFILE_MINIO_ENDPOINT {endpoint} is not the SeaweedFS S3 gateway")
    if re.search(r"(^|[\s\"'\[])mc(\s|\"|')", compose_text, flags=re.M):
        problems.append("docker-compose.yml uses the archived mc client")

    # staging through local disk: driver (Airflow worker) and executors (Spark worker) share the scratch folder
    scratch = (services.get("airflow-worker", {}).get("environment") or {}).get("CASEFILE_SCRATCH")
    for name in ("airflow-worker", "spark-worker"):
        mounts = [str(v).split(":", 1)[1] for v in services.get(name, {}).get("volumes") or [] if ":" in str(v)]
        if scratch not in mounts:
            problems.append(f"{name}: the scratch folder {scratch} is not a shared volume")
    return problems


def _depends(svc: dict) -> dict[str, str]:
    """``depends_on`` as ``{service: condition}`` (the short list form means ``service_started``)."""
    deps = svc.get("depends_on") or {}
    if isinstance(deps, list):
        return {d: "service_started" for d in deps}
    return {d: (c or {}).get("condition", "service_started") for d, c in deps.items()}


@pytest.fixture(scope="module")
def texts():
    return (REPO / "docker-compose.yml").read_text(encoding="utf-8"), (REPO / ".env.example").read_text(encoding="utf-8")


def test_compose_file_is_consistent_with_the_code(texts):
    assert compose_problems(*texts) == []


def test_spark_class_exists_where_the_image_puts_it(texts):
    import pyspark

    # the image installs pyspark into site-packages like the virtualenv does; the layout is the same
    assert (Path(pyspark.__file__).parent / "bin" / "spark-class").is_file()


def test_secrets_only_in_the_uncommitted_env_file(texts):
    compose, example = texts
    for key, value in env_example_vars(example).items():
        if any(w in key for w in ("PASSWORD", "SECRET", "KEY")):
            assert value in ("change-me", ""), f"{key} has a value in .env.example"
    for key, value in re.findall(r"^\s*([A-Z_]*(?:PASSWORD|SECRET|FERNET)[A-Z_]*):\s*(\S+)", compose, flags=re.M):
        assert value.startswith("${") or key.endswith("_FILE"), f"{key} has a literal value in docker-compose.yml"
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=REPO).returncode == 0
    assert ignored, ".env must be git-ignored"


@pytest.mark.parametrize("mutation, expected", [
    (("${POSTGRES_DB}", "${POSTGRES_DATABASE}"), "${POSTGRES_DATABASE} is not defined in .env.example"),
    (("COPY configs ./configs", "COPY conf ./configs"), "COPY source conf does not exist"),
    (("CASEFILE_SPARK_PROFILE: cluster", "CASEFILE_SPARK_PROFILES: cluster"), "CASEFILE_SPARK_PROFILES is read nowhere"),
    (("AIRFLOW__CORE__LOAD_EXAMPLES", "AIRFLOW__CORE__LOAD_EXAMPLE"), "AIRFLOW__CORE__LOAD_EXAMPLE is not an Airflow setting"),
    (('["airflow", "dag-processor"]', '["airflow", "dag-processsor"]'), "not an airflow command"),
    (('["casefile", "storage-init"]', '["casefile", "bucket-init"]'), "not a casefile command"),
    (("- casefile-scratch:/var/lib/casefile/scratch\n    depends_on:\n      spark-master", "- ./no-such-dir:/x\n    depends_on:\n      spark-master"),
     "bind-mount source ./no-such-dir does not exist"),
    (('test: ["CMD", "valkey-cli", "ping"]', 'test: ["NONE"]'), "valkey: no health check"),
    (("--job-type DagProcessorJob", "--job-type DagProcessor"), "airflow-dag-processor: health check: not an airflow command"),
    (("    seaweedfs:\n      condition: service_healthy\n    valkey:", "    valkey:"), "airflow-worker: does not wait for a healthy seaweedfs"),
    (("    spark-master:\n        condition: service_healthy", "    spark-master:\n        condition: service_started"),
     "spark-worker: depends on spark-master with condition service_started, not service_healthy"),
    (("AIRFLOW__CORE__EXECUTOR: CeleryExecutor", "AIRFLOW__CORE__EXECUTOR: LocalExecutor"), "runs the tasks (the Spark drivers) in the scheduler"),
    (('test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8333/healthz"]', 'test: ["CMD", "mc", "ready", "local"]'),
     "uses the archived mc client"),
    (("CASEFILE_MINIO_ENDPOINT: seaweedfs:8333", "CASEFILE_MINIO_ENDPOINT: seaweedfs:9000"), "is not the SeaweedFS S3 gateway"),
])
def test_the_validator_catches_mistakes(texts, mutation, expected):
    compose, example = texts
    old, new = mutation
    assert old in compose
    problems = compose_problems(compose.replace(old, new, 1), example)
    assert any(expected in p for p in problems), problems
