"""Roles of the seizures of a case: who held each seizure and whether it was obtained or sold to a buyer.

Read from ``configs/cases/<case>.yaml`` (or a ``--roles`` file); a seizure the file does not name
is its own suspect, ``obtained``. The case report (:mod:`jobs.case_report.job`) counts art. 11 of
法释〔2017〕10号 per suspect from these roles.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from jobs.common import paths
from jobs.common.config import config_dir
from jobs.common.errors import ConfigError


@dataclass(frozen=True)
class Role:
    """What one seizure is in the case.

    Attributes:
        seizure_id: the seizure.
        suspect: who held it (string).
        transaction: ``obtained`` (held or obtained by the suspect: no buyer), or ``sold`` with ``buyer``.
        buyer: to whom the suspect sold it (``sold`` only), else ``""``.
    """

    seizure_id: str
    suspect: str
    transaction: str
    buyer: str = ""

    def to_dict(self) -> dict[str, str]:
        d = {"suspect": self.suspect, "transaction": self.transaction}
        if self.buyer:
            d["buyer"] = self.buyer
        return d


def roles_path(case_id: str) -> Path:
    """``configs/cases/<case>.yaml`` (under ``CASEFILE_CONFIG_DIR`` when set)."""
    return config_dir() / "cases" / f"{paths.check_id('case_id', case_id)}.yaml"


def parse_roles(data: Mapping[str, Any] | None, seizures: Sequence[str]) -> dict[str, Role]:
    """Roles of the seizures from a roles document.

    Document: ``{"seizures": {<seizure>: {"suspect": str, "transaction": "obtained"}}}`` or
    ``{... {"suspect": str, "sold_to": <buyer>}}`` (also ``transaction: {sold_to: <buyer>}``).
    A seizure the document does not name is its own suspect, ``obtained``.

    Raises:
        ConfigError: an entry names no suspect, an unknown transaction, or a seizure with no bundle.
    """
    entries = dict((data or {}).get("seizures") or {})
    unknown = sorted(set(entries) - set(seizures))
    if unknown:
        raise ConfigError(f"roles name seizures with no published bundle: {', '.join(unknown)}")
    roles: dict[str, Role] = {}
    for s in seizures:
        e = entries.get(s)
        if e is None:
            roles[s] = Role(s, s, "obtained")
            continue
        if not isinstance(e, Mapping) or not str(e.get("suspect") or "").strip():
            raise ConfigError(f"roles of seizure {s}: 'suspect' is required")
        txn = e.get("transaction", "obtained" if "sold_to" not in e else None)
        buyer = e.get("sold_to")
        if isinstance(txn, Mapping) and "sold_to" in txn:
            buyer = txn["sold_to"]
            txn = None
        if buyer is not None and txn is None:
            if not str(buyer).strip():
                raise ConfigError(f"roles of seizure {s}: 'sold_to' needs a buyer")
            roles[s] = Role(s, str(e["suspect"]).strip(), "sold", str(buyer).strip())
        elif txn == "obtained" and buyer is None:
            roles[s] = Role(s, str(e["suspect"]).strip(), "obtained")
        else:
            raise ConfigError(f"roles of seizure {s}: transaction must be 'obtained' or 'sold_to: <buyer>'")
    return roles


def load_roles(case_id: str, seizures: Sequence[str], roles_file: Path | None = None) -> tuple[dict[str, Role], dict[str, Any]]:
    """Roles from ``roles_file``, else ``configs/cases/<case>.yaml``, else every seizure its own suspect.

    Returns:
        ``(roles, source)``; ``source``: ``{"file": name or None, "sha256": hex or None}``.
    """
    path = Path(roles_file) if roles_file else roles_path(case_id)
    if not path.is_file():
        if roles_file:
            raise ConfigError(f"roles file not found: {path}")
        return parse_roles(None, seizures), {"file": None, "sha256": None}
    raw = path.read_bytes()
    return parse_roles(yaml.safe_load(raw.decode("utf-8")) or {}, seizures), {"file": path.name, "sha256": hashlib.sha256(raw).hexdigest()}
