"""A small client of Airflow 3's REST API (``/api/v2``) for ``casefile`` against a deployment.

Configured from the environment only: ``CASEFILE_AIRFLOW_URL`` (the api-server, e.g.
``http://localhost:8080``), ``CASEFILE_AIRFLOW_USERNAME`` and ``CASEFILE_AIRFLOW_PASSWORD``
(exchanged for a JWT at ``POST /auth/token``; the password is never printed or logged).
"""

from __future__ import annotations

import os
import time
from typing import Any

from jobs.common.errors import CasefileError, ConfigError

TERMINAL_RUN_STATES = ("success", "failed")


class AirflowApiError(CasefileError):
    """The Airflow API answered with an error (the message has the status and the API's detail)."""


def airflow_url() -> str | None:
    """``CASEFILE_AIRFLOW_URL`` without a trailing slash, or ``None`` (embedded mode)."""
    url = os.environ.get("CASEFILE_AIRFLOW_URL", "").strip()
    return url.rstrip("/") or None


class AirflowApi:
    """Trigger, inspect and clear DAG runs through the api-server.

    Args:
        url: the api-server's base URL.
        username: user of the auth manager.
        password: that user's password.
        timeout: seconds per request.

    Raises:
        ConfigError: user or password missing.
    """

    def __init__(self, url: str, username: str | None, password: str | None, *, timeout: float = 30.0) -> None:
        import httpx

        if not username or not password:
            raise ConfigError("CASEFILE_AIRFLOW_URL is set: CASEFILE_AIRFLOW_USERNAME and CASEFILE_AIRFLOW_PASSWORD are needed too")
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, timeout=timeout)
        resp = self._http.post("/auth/token", json={"username": username, "password": password})
        if resp.status_code not in (200, 201):
            raise AirflowApiError(f"login to {self.url} failed: HTTP {resp.status_code}")
        self._http.headers["Authorization"] = f"Bearer {resp.json()['access_token']}"

    @classmethod
    def from_env(cls) -> "AirflowApi":
        """The client ``CASEFILE_AIRFLOW_*`` describe.

        Raises:
            ConfigError: ``CASEFILE_AIRFLOW_URL`` or the credentials are not set.
        """
        url = airflow_url()
        if not url:
            raise ConfigError("CASEFILE_AIRFLOW_URL is not set")
        return cls(url, os.environ.get("CASEFILE_AIRFLOW_USERNAME"), os.environ.get("CASEFILE_AIRFLOW_PASSWORD"))

    def _call(self, method: str, path: str, **kwargs) -> Any:
        resp = self._http.request(method, f"/api/v2{path}", **kwargs)
        if resp.status_code >= 400:
            try:
                detail = resp.json().get("detail")
            except ValueError:
                detail = resp.text[:200]
            raise AirflowApiError(f"{method} /api/v2{path}: HTTP {resp.status_code}: {detail}")
        return resp.json() if resp.content else None

    def unpause(self, dag_id: str) -> None:
        self._call("PATCH", f"/dags/{dag_id}", json={"is_paused": False})

    def trigger(self, dag_id: str, run_id: str, conf: dict[str, Any], logical_date: str | None) -> dict[str, Any]:
        """Create a DAG run with a chosen run id.

        Raises:
            AirflowApiError: e.g. HTTP 409 when the run id exists already.
        """
        return self._call("POST", f"/dags/{dag_id}/dagRuns", json={"dag_run_id": run_id, "logical_date": logical_date, "conf": conf})

    def run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        return self._call("GET", f"/dags/{dag_id}/dagRuns/{run_id}")

    def runs(self, dag_id: str, **filters: Any) -> list[dict[str, Any]]:
        """The newest 100 runs of ``dag_id`` (``filters``: API query parameters, e.g. ``state``)."""
        return self._call("GET", f"/dags/{dag_id}/dagRuns", params={"limit": 100, "order_by": "-run_after", **filters})["dag_runs"]

    def count_runs(self, dag_id: str, **filters: Any) -> int:
        """How many runs of ``dag_id`` match ``filters`` (e.g. ``state="success"``, ``start_date_gte=iso``)."""
        return int(self._call("GET", f"/dags/{dag_id}/dagRuns", params={"limit": 1, **filters})["total_entries"])

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str | None]:
        """``{task_id: state}`` of the run's task instances (mapped tasks: the last map index wins)."""
        tis = self._call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 100})["task_instances"]
        return {ti["task_id"]: ti["state"] for ti in sorted(tis, key=lambda t: t.get("map_index", -1))}

    def clear(self, dag_id: str, run_id: str, task_ids: list[str]) -> None:
        """Clear ``task_ids`` and everything downstream of them in one run, so the scheduler runs them again."""
        self._call("POST", f"/dags/{dag_id}/clearTaskInstances", json={
            "dry_run": False, "dag_run_id": run_id, "task_ids": task_ids, "include_downstream": True,
            "include_upstream": False, "only_failed": False, "reset_dag_runs": True})

    def wait(self, dag_id: str, run_id: str, *, timeout: float = 6 * 3600, poll: float = 10.0) -> str:
        """Poll until the run is ``success`` or ``failed``; return that state.

        Raises:
            TimeoutError: still running after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            state = self.run(dag_id, run_id)["state"]
            if state in TERMINAL_RUN_STATES:
                return state
            if time.monotonic() > deadline:
                raise TimeoutError(f"run {run_id} of {dag_id} still {state} after {timeout:.0f}s")
            time.sleep(poll)
