"""The casefile command line as a tool (issue 13 defect 14, issue 15): user errors are one line on
stderr with their own exit code, checked before anything starts; ``--json`` keeps stdout parseable;
progress goes to stderr; a rerun never overwrites an earlier log. In-process through
``jobs.cli.main`` with no Airflow: the embedded runner is replaced by a tiny script where a run is needed.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata as md
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from jobs.cli import COMMANDS, JSON_COMMANDS, build_parser, main, runs
from jobs.cli.console import Progress, clock_text
from jobs.cli.exitcodes import ExitCode, RemoteError, exit_code_table
from jobs.cli.preflight import check_logical_date
from jobs.common import paths
from jobs.common.config import REPO_ROOT
from jobs.common.storage import LocalStorage

RUN_ID = "manual__2026-01-01T00:00:00+00:00"


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty CASEFILE_HOME (local storage) and a seizure folder with one file."""
    for name in ("CASEFILE_AIRFLOW_URL", "CASEFILE_STORAGE", "AIRFLOW_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CASEFILE_HOME", str(tmp_path / "home"))
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "住宿登记.csv").write_text("姓名,身份证号\n", encoding="utf-8")
    return tmp_path


def one_line_error(capsys, command: str) -> str:
    """The single stderr line of a failed command; stdout empty; no traceback."""
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err and captured.out == ""
    assert lines[0].startswith(f"casefile {command}: " if command else "casefile: ")
    return lines[0]


@pytest.mark.parametrize("argv, code, text", [
    (["run", "--case", "HG/../x", "--seizure", "S1", "--evidence", "{ev}"], ExitCode.USAGE, "bad --case id"),
    (["run", "--case", "HG", "--seizure", "S 1", "--evidence", "{ev}"], ExitCode.USAGE, "bad --seizure id"),
    (["run", "--case", "HG", "--seizure", "S1", "--evidence", "{tmp}/missing"], ExitCode.NOT_FOUND, "evidence folder {tmp}/missing does not exist"),
    (["run", "--case", "HG", "--seizure", "S1", "--evidence", "{ev}/住宿登记.csv"], ExitCode.USAGE, "is not a folder"),
    (["run", "--case", "HG", "--seizure", "S1", "--evidence", "{tmp}/empty"], ExitCode.NO_EVIDENCE, "is empty: no file to register"),
    (["run", "--case", "HG", "--seizure", "S1", "--evidence", "{tmp}/nested_empty"], ExitCode.NO_EVIDENCE, "is empty"),
    (["run", "--case", "HG", "--seizure", "S1", "--evidence", "{tmp}/links_only"], ExitCode.NO_EVIDENCE, "1 symbolic link(s) or special file(s)"),
    (["run", "--case", "HG", "--seizure", "S1", "--evidence", "{ev}", "--logical-date", "yesterday"], ExitCode.USAGE, "bad --logical-date 'yesterday'"),
    (["run", "--case", "HG", "--seizure", "S1", "--evidence", "{ev}", "--seizure-date", "2026-02-30"], ExitCode.USAGE, "bad --seizure-date"),
    (["run", "--case", "HG", "--seizure", "S1", "--evidence", "{ev}", "--seizure-date", "20260101"], ExitCode.USAGE, "bad --seizure-date"),
    (["run", "--case", "HG", "--seizure", "S1", "--evidence", "{ev}", "--ground-truth", "{tmp}/gt.json"], ExitCode.NOT_FOUND, "--ground-truth"),
    (["run", "--case", "HG"], ExitCode.USAGE, "the following arguments are required: --seizure, --evidence"),
    (["run", "--case", "HG", "--seizure", "S1", "--evidence", "{ev}", "--frobnicate"], ExitCode.USAGE, "unrecognized arguments: --frobnicate"),
    (["frobnicate"], ExitCode.USAGE, "invalid choice: 'frobnicate'"),
    ([], ExitCode.USAGE, "required: COMMAND"),
    (["status", "--case", "NOPE", "--seizure", "S1"], ExitCode.NOT_FOUND, "no run of NOPE/S1"),
    (["status", "--case", "..", "--seizure", "S1"], ExitCode.USAGE, "bad --case id"),
    (["rerun", "--case", "NOPE", "--seizure", "S1"], ExitCode.NOT_FOUND, "no run of NOPE/S1 to rerun"),
    (["pull", "--case", "NOPE", "--seizure", "S1", "--dest", "{tmp}/out"], ExitCode.NOT_FOUND, "no published case file for NOPE/S1"),
    (["pull", "--case", "NOPE", "--seizure", "S1", "--dest", "{ev}"], ExitCode.USAGE, "is not empty"),
    (["case-report", "--case", "NOPE"], ExitCode.NOT_FOUND, "no published case file in case NOPE"),
    (["verify", "{tmp}/missing"], ExitCode.NOT_FOUND, "does not exist"),
    (["run", "--case", "HG", "--seizure", "S1", "--evidence", "{ev}", "--lang", "fr"], ExitCode.USAGE, "--lang: invalid choice: 'fr'"),
    (["case-report", "--case", "HG", "--lang", "zh"], ExitCode.USAGE, "--lang: invalid choice: 'zh'"),
])
def test_each_user_error_is_one_line_and_its_exit_code_before_anything_starts(home, capsys, argv, code, text):
    (home / "empty").mkdir()
    (home / "nested_empty" / "a" / "b").mkdir(parents=True)
    (home / "links_only").mkdir()
    (home / "links_only" / "l.csv").symlink_to(home / "evidence" / "住宿登记.csv")
    argv = [a.format(tmp=home, ev=home / "evidence") for a in argv]
    assert main(argv) == code
    command = argv[0] if argv and argv[0] in COMMANDS else ""
    assert text.format(tmp=home) in one_line_error(capsys, command)
    # nothing was started: no Airflow home, no run record, no evidence copied
    assert not (home / "home" / "airflow").exists() and not (home / "home" / "work").exists()
    assert not (home / "home" / "evidence").exists()


def test_a_user_error_under_json_is_also_the_json_result(home, capsys):
    assert main(["run", "--json", "--case", "HG", "--seizure", "S1", "--evidence", str(home / "missing")]) == ExitCode.NOT_FOUND
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"command": "run", "ok": False, "exit_code": 4, "exit_name": "NOT_FOUND",
                                        "error": f"evidence folder {home / 'missing'} does not exist"}
    assert captured.err == f"casefile run: evidence folder {home / 'missing'} does not exist\n"


def test_the_process_exits_with_the_code_and_no_traceback(home):
    """Through ``python -m jobs.cli`` (the console script's path): the code reaches the shell."""
    proc = subprocess.run([sys.executable, "-m", "jobs.cli", "run", "--case", "HG", "--seizure", "S1", "--evidence", str(home / "missing")],
                          capture_output=True, text=True, cwd=REPO_ROOT, timeout=120)
    assert proc.returncode == 4
    assert proc.stderr == f"casefile run: evidence folder {home / 'missing'} does not exist\n" and proc.stdout == ""


def test_a_bug_is_one_line_naming_its_traceback_file(home, capsys, monkeypatch):
    def broken(*args):
        raise KeyError("boom")

    monkeypatch.setattr(runs, "check_ids", broken)  # cmd_status calls it first
    assert main(["status", "--case", "HG", "--seizure", "S1"]) == ExitCode.INTERNAL
    line = one_line_error(capsys, "status")
    m = re.fullmatch(r"casefile status: internal error \(KeyError\); traceback in (.+\.txt)", line)
    assert m, line
    assert "KeyError: 'boom'" in Path(m.group(1)).read_text()


def test_exit_codes_are_distinct_and_documented_in_help_and_readme(capsys):
    values = [int(c) for c in ExitCode]
    assert len(values) == len(set(values))
    assert (ExitCode.OK, ExitCode.USAGE, ExitCode.INTERRUPTED) == (0, 2, 130)  # shell and argparse conventions
    assert main(["--help"]) == 0
    help_text = capsys.readouterr().out
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for code in ExitCode:
        assert re.search(rf"^\s+{int(code)}\s+{code.name}\s", help_text, re.M), code
        assert f"| {int(code)} | `{code.name}` |" in readme, code
    assert exit_code_table() in help_text


def test_version(capsys):
    assert main(["--version"]) == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith(f"casefile {md.version('casefile')}")


def test_json_is_offered_exactly_where_documented():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert tuple(sub.choices) == COMMANDS
    for name, p in sub.choices.items():
        assert any("--json" in a.option_strings for a in p._actions) == (name in JSON_COMMANDS), name


def test_a_check_only_parser_still_exits_like_argparse():
    """``build_parser()`` without ``raise_usage_errors`` keeps argparse's SystemExit (the compose test uses it)."""
    with pytest.raises(SystemExit):
        build_parser().parse_args(["frobnicate"])


def test_a_logical_date_without_a_zone_is_utc_like_the_runner_makes_it():
    assert check_logical_date("2026-01-01T08:30:00") == "2026-01-01T08:30:00+00:00"
    assert check_logical_date("2026-01-01") == "2026-01-01T00:00:00+00:00"
    assert check_logical_date("2026-01-01T08:30:00+08:00") == "2026-01-01T08:30:00+08:00"


# --------------------------------------------------------------------------- status and the run report


def seed_run(home: Path, committed: tuple[str, ...]) -> LocalStorage:
    storage = LocalStorage(home / "home")
    ctx = paths.RunContext("HG", "S1", RUN_ID)
    storage.write_bytes("work", paths.run_record(ctx), json.dumps({"run_id": RUN_ID, "logical_date": "2026-01-01T00:00:00+00:00", "conf": {}}).encode())
    for stage in committed:
        storage.write_bytes("work", paths.stage_marker(ctx, stage), b"{}")
    return storage


def test_status_json(home, capsys):
    seed_run(home, ("intake", "normalize"))
    assert main(["status", "--json", "--case", "HG", "--seizure", "S1"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc == {"command": "status", "ok": True, "exit_code": 0, "exit_name": "OK", "case_id": "HG", "seizure_id": "S1",
                   "run_id": RUN_ID, "logical_date": "2026-01-01T00:00:00+00:00",
                   "stages": {"intake": {"committed": True}, "normalize": {"committed": True},
                              "deduplicate": {"committed": False}, "export": {"committed": False}}}
    assert main(["status", "--case", "HG", "--seizure", "S1"]) == 0
    assert "normalize    committed" in capsys.readouterr().out


def test_report_of_a_published_run_as_json(home, capsys):
    storage = seed_run(home, tuple(paths.STAGES))
    prefix = paths.casefile_prefix(paths.RunContext("HG", "S1", RUN_ID))
    summary = {"raw_rows": 10, "quarantined_rows": 1, "records": 9, "duplicate_records": 2, "unique_records": 7, "tier": "serious",
               "weighted_total": 1.4, "categories": {"tier_50": {"unique_records": 7, "threshold": 50}}}
    manifest = b'{"files": {}}\n'
    storage.write_bytes("casefiles", f"{prefix}/summary.json", json.dumps(summary).encode())
    storage.write_bytes("casefiles", f"{prefix}/manifest.json", manifest)
    storage.write_bytes("casefiles", f"{prefix}/SHA256SUMS", b"")
    out = runs.Output("run", json_mode=True)
    assert runs._report("HG", "S1", RUN_ID, None, out) == ExitCode.OK
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["ok"] is True and doc["bundle"] == str(home / "home" / "casefiles" / prefix)
    assert doc["manifest_sha256"] == hashlib.sha256(manifest).hexdigest()
    assert doc["sha256sums_sha256"] == hashlib.sha256(b"").hexdigest()
    assert doc["summary"]["unique_records"] == 7 and doc["summary"]["categories"] == {"tier_50": {"unique_records": 7, "threshold": 50}}
    assert "casefile: case file published" in captured.err  # the human lines, off stdout


# --------------------------------------------------------------------------- a run with a stand-in runner


FAKE_RUNNER = r"""
import sys, time
for line in ["[info] [DAG TEST] starting task_id=intake map_index=-1",
             "[info] 2026-01-01 00:00:00,000 INFO casefile: stage intake: case=HG seizure=S1 run=r config=abc",
             "[info] 2026-01-01 00:00:00,000 INFO casefile: item a.csv: format=delimited encoding=utf-8 rows=181 quarantined=1",
             "[info] jobs.common.errors.LedgerError: ledger of stage 'intake' does not balance"]:
    print(line, flush=True)
    time.sleep(0.05)
sys.exit(1)
"""


@pytest.fixture
def fake_runner(monkeypatch):
    monkeypatch.setattr(runs, "runner_command", lambda logical, conf: [sys.executable, "-S", "-c", FAKE_RUNNER])
    monkeypatch.setattr(runs, "ensure_airflow_db", lambda say: None)
    monkeypatch.setenv("CASEFILE_PROGRESS_SECONDS", "60")


def test_run_json_keeps_stdout_clean_and_shows_progress_on_stderr(home, capsys, fake_runner):
    argv = ["run", "--json", "--case", "HG", "--seizure", "S1", "--evidence", str(home / "evidence"), "--logical-date", "2026-01-01T00:00:00+00:00"]
    assert main(argv) == ExitCode.RUN_FAILED
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["failed_stage"] == "intake" and doc["exit_name"] == "RUN_FAILED" and doc["run_id"] == RUN_ID
    assert "  stage intake: case=HG" in captured.err and "  LedgerError: ledger of stage 'intake'" in captured.err
    assert re.search(r"^casefile: stage intake \(1 of 4\) running \d:\d\d; \d:\d\d elapsed$", captured.err, re.M), captured.err
    assert Path(doc["log"]).read_text().count("[DAG TEST] starting task_id=intake") == 1


def test_no_rerun_overwrites_an_earlier_log(home, capsys, fake_runner):
    argv = ["run", "--case", "HG", "--seizure", "S1", "--evidence", str(home / "evidence"), "--logical-date", "2026-01-01T00:00:00+00:00"]
    assert main(argv) == ExitCode.RUN_FAILED
    assert "stage 'intake' has no committed output" in capsys.readouterr().out  # the human report stays on stdout
    assert main(["rerun", "--case", "HG", "--seizure", "S1"]) == ExitCode.RUN_FAILED
    assert main(["rerun", "--case", "HG", "--seizure", "S1"]) == ExitCode.RUN_FAILED
    assert main(argv) == ExitCode.RUN_FAILED
    logs = sorted(p.name for p in (home / "home" / "logs").iterdir())
    stem = "HG_S1_manual__2026-01-01T00-00-00-00-00"
    assert logs == [f"{stem}.log", f"{stem}.rerun-2.log", f"{stem}.rerun.log", f"{stem}.run-2.log"]
    assert all("starting task_id=intake" in (home / "home" / "logs" / n).read_text() for n in logs)


# --------------------------------------------------------------------------- progress


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def test_progress_line_from_the_dag_log():
    clock = Clock()
    p = Progress(paths.STAGES, clock=clock, interval=60)
    assert p.text() == "casefile: starting Airflow; 0:00 elapsed"
    clock.t += 5
    p.observe("2026 [info] [DAG TEST] starting task_id=intake map_index=-1 [airflow.sdk.definitions.dag]")
    p.observe("x INFO casefile: item 三要素.txt: format=delimited encoding=utf-8 rows=181 quarantined=1 [airflow.task.hooks]")
    p.observe("x INFO casefile: item 交换数据.jsonl: format=jsonl encoding=utf-8 rows=602 quarantined=2 [airflow.task.hooks]")
    clock.t += 60
    assert p.text() == "casefile: stage intake (1 of 4) running 1:00, 783 rows read; 1:05 elapsed"  # 181 + 602
    p.observe("x [DAG TEST] end task task_id=intake map_index=-1")
    p.observe("x [DAG TEST] starting task_id=normalize map_index=-1")
    clock.t += 3600 + 12
    p.observe("x INFO casefile: dataset records: 3000 rows written and validated [airflow.task]")
    assert p.text() == "casefile: stage normalize (2 of 4) running 1:00:12, records 3,000 rows written; 1:01:17 elapsed"
    assert clock_text(75) == "1:15" and clock_text(3725) == "1:02:05"


class FakeApi:
    """A deployment's run: queued, then intake running, then normalize running, then success."""

    def __init__(self, script):
        self.script = list(script)
        self.now = None

    def run(self, dag_id, run_id):
        self.now = self.script.pop(0)
        return {"state": self.now[0]}

    def task_states(self, dag_id, run_id):
        return self.now[1]


def test_waiting_on_a_remote_airflow_shows_the_stage():
    api = FakeApi([("queued", {}), ("running", {"intake": "running"}), ("running", {"intake": "success", "normalize": "queued"}),
                   ("success", {})])
    clock = Clock()
    p = Progress(paths.STAGES, clock=clock, interval=60)
    seen = []

    def sleep(_):
        clock.t += 10
        seen.append(p.text())

    assert runs.wait_for_run(api, RUN_ID, p, sleep=sleep, clock=clock) == "success"
    assert seen == ["casefile: stage intake (1 of 4) waiting for the scheduler (run queued) 0:10; 0:10 elapsed",
                    "casefile: stage intake (1 of 4) task running 0:20; 0:20 elapsed",  # in the stage since it was next
                    "casefile: stage normalize (2 of 4) task queued 0:10; 0:30 elapsed"]


def test_a_remote_run_past_its_timeout_is_a_remote_failure():
    api = FakeApi([("running", {"intake": "running"})] * 5)
    clock = Clock()

    def sleep(_):
        clock.t += 10

    with pytest.raises(RemoteError) as info:
        runs.wait_for_run(api, RUN_ID, Progress(paths.STAGES, clock=clock, interval=60), timeout=25, sleep=sleep, clock=clock)
    assert info.value.exit_code == ExitCode.REMOTE_FAILED


# --------------------------------------------------------------------------- --lang


@pytest.fixture
def recorded_runner(monkeypatch):
    """The embedded runner replaced by a script that exits at once; the conf each run hands it is kept."""
    confs: list[dict] = []

    def command(logical, conf):
        confs.append(conf)
        return [sys.executable, "-S", "-c", "import sys; sys.exit(1)"]

    monkeypatch.setattr(runs, "runner_command", command)
    monkeypatch.setattr(runs, "ensure_airflow_db", lambda say: None)
    return confs


def test_lang_reaches_the_dag_as_the_report_language_param(home, capsys, recorded_runner):
    argv = ["run", "--case", "HG", "--seizure", "S1", "--evidence", str(home / "evidence"), "--logical-date", "2026-01-01T00:00:00+00:00"]
    assert main([*argv, "--lang", "en"]) == ExitCode.RUN_FAILED
    assert recorded_runner[-1]["report_language"] == "en"
    record = json.loads(LocalStorage(home / "home").read_bytes("work", paths.run_record(paths.RunContext("HG", "S1", RUN_ID))))
    assert record["conf"]["report_language"] == "en"  # a rerun without --lang keeps the run's language
    assert main(["rerun", "--case", "HG", "--seizure", "S1"]) == ExitCode.RUN_FAILED
    assert recorded_runner[-1]["report_language"] == "en"
    assert main(["rerun", "--case", "HG", "--seizure", "S1", "--lang", "zh-CN"]) == ExitCode.RUN_FAILED
    assert recorded_runner[-1]["report_language"] == "zh-CN"
    assert main(argv) == ExitCode.RUN_FAILED  # no --lang: the DAG param stays empty, report.language decides
    assert "report_language" not in recorded_runner[-1]


def test_lang_on_a_deployment_rerun_cannot_change_the_run(home, capsys, monkeypatch):
    seed_run(home, ("intake",))
    monkeypatch.setenv("CASEFILE_AIRFLOW_URL", "http://127.0.0.1:9")
    assert main(["rerun", "--case", "HG", "--seizure", "S1", "--lang", "en"]) == ExitCode.USAGE
    assert "keeps the language it was triggered with" in one_line_error(capsys, "rerun")
    seed_run(home, tuple(paths.STAGES))
    assert main(["rerun", "--case", "HG", "--seizure", "S1", "--apply-review", "--lang", "en"]) == ExitCode.USAGE
    assert "keeps the language it was triggered with" in one_line_error(capsys, "rerun")
    ctx = paths.RunContext("HG", "S1", RUN_ID)  # refused before --apply-review un-committed a stage
    assert all(LocalStorage(home / "home").exists("work", paths.stage_marker(ctx, s)) for s in paths.STAGES)


def test_export_stage_takes_the_report_language():
    from jobs.export.job import ExportStage

    base = ["--case", "HG", "--seizure", "S1", "--run-id", RUN_ID]
    assert vars(ExportStage.parser().parse_args([*base, "--report-language", "en"]))["report_language"] == "en"
    assert vars(ExportStage.parser().parse_args([*base, "--report-language", ""]))["report_language"] == ""
    assert vars(ExportStage.parser().parse_args(base))["report_language"] == ""
    with pytest.raises(SystemExit):
        ExportStage.parser().parse_args([*base, "--report-language", "fr"])
