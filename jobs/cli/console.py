"""What a person reads from ``casefile``: the progress lines picked out of Airflow's and Spark's log,
and the summary of a published case file.

Only counts, states, locations and casefile's own messages; never record values.
"""

from __future__ import annotations

import re

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


def print_summary(bundle: str, summary: dict) -> None:
    """Print where the case file was published and the counts of its ``summary.json``: rows,
    records, duplicates, each category's unique records with its lower and upper bound and
    threshold, and the tier of each bound."""
    print(f"casefile: case file published: {bundle}")
    print(f"  raw rows {summary['raw_rows']:,}  quarantined {summary['quarantined_rows']:,}  records {summary['records']:,}  "
          f"duplicates {summary['duplicate_records']:,}  unique {summary['unique_records']:,}")
    def num(bound: str, key: str) -> str:  # bundles written before the bounds existed have none
        n = summary.get(bound, {}).get("categories", {}).get(key, {}).get("unique_records")
        return f"{n:>10,}" if isinstance(n, int) else f"{'—':>10}"

    for key, c in summary["categories"].items():
        print(f"  {key:<10} unique records {c['unique_records']:>10,}  counted: lower bound {num('lower_bound', key)}  "
              f"upper bound {num('upper_bound', key)}  threshold {c['threshold']:>6,}")
    print(f"  bare phone numbers {summary.get('bare_phone_records', 0):,} (own line)  untrue {summary.get('untrue_records', 0):,}  "
          f"probable duplicates {summary.get('probable_duplicate_records', 0):,}")
    print(f"  tier (lower bound) {summary['tier']}, weighted total {summary['weighted_total']:.3f}; upper bound "
          f"{summary.get('tier_upper_bound', summary['tier'])}, {summary.get('weighted_total_upper_bound', summary['weighted_total']):.3f}"
          + ("  — the tier depends on the probable duplicates" if summary.get("tier_depends_on_probable_duplicates") else ""))
