"""What a person reads from ``casefile``: the progress lines picked out of Airflow's and Spark's log,
a live progress line while a run is going, the summary of a published case file, and where each
goes (:class:`Output`).

Streams: a command's result goes to stdout (with ``--json``: one JSON document and nothing else);
errors (one line each) and the live progress go to stderr, so ``casefile run --json | jq`` works
while the run is shown on the terminal. Only counts, states, locations and casefile's own messages;
never record values.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO

_CASEFILE_LOG = re.compile(r"(?:INFO|WARNING|ERROR) casefile: (.*?)(?: \[airflow[^\]]*\].*)?$")
_ERROR_LOG = re.compile(r"jobs\.common\.errors\.(\w+): (.*?)(?: \[airflow[^\]]*\].*)?$")


def progress_line(line: str) -> str | None:
    """The part of an Airflow/Spark log line worth showing a person: casefile's own messages
    (counts and states only) and casefile errors."""
    line = line.rstrip()
    if "casefile-airflow-runner" in line:
        return line
    m = _CASEFILE_LOG.search(line) or _ERROR_LOG.search(line)
    if m:
        return ": ".join(g for g in m.groups() if g)
    return None


def clock_text(seconds: float) -> str:
    """``seconds`` as ``M:SS``, or ``H:MM:SS`` from one hour (``75`` → ``1:15``, ``3725`` → ``1:02:05``)."""
    s = int(max(seconds, 0))
    h, m, s = s // 3600, s // 60 % 60, s % 60
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


_TASK_START = re.compile(r"\[DAG TEST\] starting task_id=(\w+)")
_TASK_END = re.compile(r"\[DAG TEST\] end task task_id=(\w+)")
_STAGE_LINE = re.compile(r"^stage (\w+): ")
_ITEM_ROWS = re.compile(r"^item .*: format=.* rows=(\d+)")
_DATASET_ROWS = re.compile(r"^dataset (\w+): (\d+) rows written")


class Progress:
    """The live progress of one DAG run on stderr: the stage running (n of 4), rows done where the
    stage has said (rows read by intake so far; the last dataset written), time in the stage and in
    the run.

    Fed by :meth:`observe` (embedded mode: every line of the DAG's log) or :meth:`set_stage`
    (deployment: the task states polled through the REST API). :meth:`start` ticks every
    ``interval`` seconds from a daemon thread; on a terminal the line is redrawn in place (``\\r``),
    elsewhere (a log file, CI) one line is written per tick and at each stage change.

    Args:
        stages: the stage task ids in DAG order.
        stream: where to write (default: ``sys.stderr`` at the time of writing).
        interval: seconds between ticks (default ``CASEFILE_PROGRESS_SECONDS``, else 1 on a
            terminal and 30 otherwise).
        clock: monotonic seconds (a test passes its own).
    """

    def __init__(self, stages: Sequence[str], *, stream: TextIO | None = None, interval: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stages = list(stages)
        self._stream = stream
        self._clock = clock
        self._started = clock()
        self._stage: str | None = None
        self._stage_started = self._started
        self._state = "starting Airflow"
        self._rows_read = 0
        self._dataset: tuple[str, int] | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._drawn = False
        if interval is None:
            interval = float(os.environ.get("CASEFILE_PROGRESS_SECONDS") or (1.0 if self.tty else 30.0))
        self.interval = interval

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stderr

    @property
    def tty(self) -> bool:
        try:
            return self.stream.isatty()
        except (AttributeError, ValueError):
            return False

    # ------------------------------------------------------------------ what is going on

    def set_stage(self, stage: str | None, state: str = "running") -> None:
        """The run is now in ``stage`` (``None``: before the first one) with task state ``state``."""
        with self._lock:
            changed = stage != self._stage
            if changed:
                self._enter(stage)
            self._state = state
        if changed:
            self._stage_changed()

    def observe(self, line: str) -> None:
        """Update from one line of the embedded DAG run's log (Airflow's ``[DAG TEST]`` task lines
        and casefile's own counts)."""
        if m := _TASK_START.search(line):
            if m.group(1) in self.stages:
                self.set_stage(m.group(1))
            return
        if (m := _TASK_END.search(line)) and m.group(1) in self.stages:
            with self._lock:
                self._state = "done"
            return
        shown = progress_line(line)
        if not shown:
            return
        with self._lock:
            changed = bool((m := _STAGE_LINE.match(shown)) and m.group(1) in self.stages and m.group(1) != self._stage)
            if changed:
                self._enter(m.group(1))
            if m := _ITEM_ROWS.match(shown):
                self._rows_read += int(m.group(1))
            elif m := _DATASET_ROWS.match(shown):
                self._dataset = (m.group(1), int(m.group(2)))
        if changed:
            self._stage_changed()

    def _stage_changed(self) -> None:
        """Off a terminal, a line at each stage change (between ticks), once ticking has started."""
        if not self.tty and self._thread is not None:
            self.write()

    def _enter(self, stage: str | None) -> None:  # with the lock held
        self._stage, self._stage_started, self._rows_read, self._dataset = stage, self._clock(), 0, None

    def text(self) -> str:
        """The progress line, e.g. ``casefile: stage normalize (2 of 4) running 0:12, records
        3,000 rows written; 1:35 elapsed``."""
        now = self._clock()
        with self._lock:
            if self._stage is None:
                return f"casefile: {self._state}; {clock_text(now - self._started)} elapsed"
            n = self.stages.index(self._stage) + 1 if self._stage in self.stages else 0
            if self._dataset:
                rows = f", {self._dataset[0]} {self._dataset[1]:,} rows written"
            else:
                rows = f", {self._rows_read:,} rows read" if self._rows_read else ""
            return (f"casefile: stage {self._stage} ({n} of {len(self.stages)}) {self._state} {clock_text(now - self._stage_started)}"
                    f"{rows}; {clock_text(now - self._started)} elapsed")

    # ------------------------------------------------------------------ drawing

    def write(self) -> None:
        """Write the progress line now (redrawn in place on a terminal)."""
        text = self.text()
        with self._lock:
            if self.tty:
                self.stream.write("\r\x1b[K" + text)
                self._drawn = True
            else:
                self.stream.write(text + "\n")
            self.stream.flush()

    def clear(self) -> None:
        """Wipe a line drawn in place, before another line is printed on the same terminal."""
        with self._lock:
            if self._drawn:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
                self._drawn = False

    def start(self) -> "Progress":
        """Tick from a daemon thread until :meth:`stop`."""
        def tick() -> None:
            while not self._stop.wait(self.interval):
                self.write()

        self._thread = threading.Thread(target=tick, name="casefile-progress", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.clear()


class Output:
    """Where one command's output goes.

    Human mode: :meth:`say` prints to stdout. ``--json``: :meth:`say` goes to stderr and
    :meth:`result` prints the command's one JSON document (sorted keys, UTF-8) to stdout, so stdout
    parses. :meth:`error` is always one line on stderr, and in ``--json`` mode also the result
    ``{"ok": false, "exit_code": n, "exit_name": ..., "error": ...}``.

    Args:
        command: the subcommand (prefixes error lines: ``casefile run: ...``).
        json_mode: ``--json`` was given.
    """

    def __init__(self, command: str, *, json_mode: bool = False) -> None:
        self.command = command
        self.json = json_mode
        self.progress: Progress | None = None
        self._result_written = False

    def say(self, text: str = "") -> None:
        """A line for the person: stdout, or stderr under ``--json``."""
        if self.progress is not None:
            self.progress.clear()
        print(text, file=sys.stderr if self.json else sys.stdout, flush=True)

    def note(self, text: str) -> None:
        """A line that is never part of the result (a warning): stderr."""
        if self.progress is not None:
            self.progress.clear()
        print(text, file=sys.stderr, flush=True)

    def result(self, doc: dict[str, Any]) -> None:
        """Under ``--json``, write ``doc`` (with ``command``) to stdout; once per command."""
        if self.json and not self._result_written:
            self._result_written = True
            sys.stdout.write(json.dumps({"command": self.command, **doc}, ensure_ascii=False, sort_keys=True, indent=2) + "\n")
            sys.stdout.flush()

    def error(self, code: int, message: str, **extra: Any) -> int:
        """Report a failure as one line on stderr (and the JSON result under ``--json``); return ``code``."""
        from jobs.cli.exitcodes import ExitCode

        one_line = " ".join(str(message).split())
        self.note(f"casefile {self.command}: {one_line}" if self.command else f"casefile: {one_line}")
        self.result({"ok": False, "exit_code": int(code), "exit_name": ExitCode(code).name, "error": one_line, **extra})
        return int(code)


def print_summary(bundle: str, summary: dict, say: Callable[[str], object] = print) -> None:
    """Print where the case file was published and the counts of its ``summary.json``: rows,
    records, duplicates, each category's unique records with its lower and upper bound and
    threshold, and the tier of each bound."""
    say(f"casefile: case file published: {bundle}")
    # What people open (the README's "What people open"): the workbook keeps every digit as text.
    say(f"  open: {bundle}/case_file.xlsx (Excel/WPS workbook), {bundle}/summary.html (report), reader's guide 说明.txt (README.txt in English)")
    say(f"  raw rows {summary['raw_rows']:,}  quarantined {summary['quarantined_rows']:,}  records {summary['records']:,}  "
        f"duplicates {summary['duplicate_records']:,}  unique {summary['unique_records']:,}")
    def num(bound: str, key: str) -> str:  # bundles written before the bounds existed have none
        n = summary.get(bound, {}).get("categories", {}).get(key, {}).get("unique_records")
        return f"{n:>10,}" if isinstance(n, int) else f"{'—':>10}"

    for key, c in summary["categories"].items():
        say(f"  {key:<10} unique records {c['unique_records']:>10,}  counted: lower bound {num('lower_bound', key)}  "
            f"upper bound {num('upper_bound', key)}  threshold {c['threshold']:>6,}")
    say(f"  bare phone numbers {summary.get('bare_phone_records', 0):,} (own line)  untrue {summary.get('untrue_records', 0):,}  "
        f"probable duplicates {summary.get('probable_duplicate_records', 0):,}")
    say(f"  tier (lower bound) {summary['tier']}, weighted total {summary['weighted_total']:.3f}; upper bound "
        f"{summary.get('tier_upper_bound', summary['tier'])}, {summary.get('weighted_total_upper_bound', summary['weighted_total']):.3f}"
        + ("  — the tier depends on the probable duplicates" if summary.get("tier_depends_on_probable_duplicates") else ""))
