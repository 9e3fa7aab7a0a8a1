"""The logic of seizure_intake_watch on the local-folder store: which seizures are ready, what the
trigger gets, and that a recorded seizure is never offered again."""

from __future__ import annotations

import json

import pytest

from jobs.common import paths
from jobs.common.storage import LocalStorage
from jobs.orchestration.watch import ready_seizures, record_triggered


@pytest.fixture
def storage(tmp_path):
    store = LocalStorage(tmp_path)
    store.write_bytes("evidence", "HG-1/S01/hotel.csv", b"name\n")
    store.write_bytes("evidence", "HG-1/S02/bank.txt", b"x----y\n")  # still uploading: no marker
    store.write_bytes("evidence", paths.ready_marker("HG-1", "S01"), json.dumps({"seizure_date": "2019-04-12"}).encode())
    store.write_bytes("evidence", paths.ready_marker("HG-2", "S9"), b"")
    store.write_bytes("evidence", "_ready/HG-3/READY", b"")  # malformed: no seizure
    return store


def test_only_seizures_with_a_ready_marker_are_offered(storage):
    assert ready_seizures(storage) == [
        {"trigger_run_id": "intake_watch__HG-1~S01",
         "conf": {"case_id": "HG-1", "seizure_id": "S01", "evidence": "", "seizure_date": "2019-04-12"}},
        {"trigger_run_id": "intake_watch__HG-2~S9",
         "conf": {"case_id": "HG-2", "seizure_id": "S9", "evidence": "", "seizure_date": ""}},
    ]


def test_a_recorded_seizure_is_never_offered_again(storage):
    ready = ready_seizures(storage)
    assert record_triggered(ready[:1], "2026-01-01T00:00:00+00:00", storage) == 1
    assert [r["trigger_run_id"] for r in ready_seizures(storage)] == ["intake_watch__HG-2~S9"]
    run = json.loads(storage.read_bytes("work", paths.run_record(paths.RunContext("HG-1", "S01", "intake_watch__HG-1~S01"))))
    assert run["run_id"] == "intake_watch__HG-1~S01" and run["conf"]["seizure_date"] == "2019-04-12"


def test_run_ids_are_unique_per_seizure_and_valid_for_airflow():
    import re

    ids = {paths.watch_run_id(c, s) for c, s in [("A_B", "C"), ("A", "B_C"), ("A.B", "C"), ("A", "B.C")]}
    assert len(ids) == 4
    assert all(re.match(r"^[A-Za-z0-9_.~:+-]+$", i) for i in ids)  # Airflow's allowed_run_id_pattern


def test_a_malformed_marker_holds_up_only_its_own_seizure(storage, caplog):
    storage.write_bytes("evidence", paths.ready_marker("HG-0", "S1"), b'{"seizure_date": "12/04/2019"}')
    assert [r["trigger_run_id"] for r in ready_seizures(storage)] == ["intake_watch__HG-1~S01", "intake_watch__HG-2~S9"]
    assert "HG-0/S1 not started: READY marker must be empty or JSON" in caplog.text
