"""Each stage runs as ``spark-submit jobs/<stage>/job.py`` (by path), which puts ``jobs/<stage>/`` first
on ``sys.path``: a module there named like a standard-library module (``html.py``, ``json.py``)
would shadow it for every import in that process, Jinja2's and pyspark's included."""

from __future__ import annotations

import sys

from jobs.common.config import REPO_ROOT

STAGE_DIRS = ("intake", "normalize", "deduplicate", "export")


def test_no_module_beside_a_stage_script_shadows_the_standard_library():
    clashes = []
    for stage in STAGE_DIRS:
        folder = REPO_ROOT / "jobs" / stage
        assert (folder / "job.py").is_file(), stage
        for entry in folder.iterdir():
            name = entry.stem if entry.suffix == ".py" else entry.name if (entry / "__init__.py").is_file() else None
            if name and name in sys.stdlib_module_names:
                clashes.append(f"jobs/{stage}/{entry.name}")
    assert clashes == []
