"""Clustering linked pairs under cannot-link constraints (plain Python, on the driver).

Only the linked pairs (about one per probable duplicate) reach the driver. A cluster that would
hold a cannot-link pair (two different valid identifiers) is rebuilt by adding its links strongest
first and refusing any link that would join the two, so no weak bridge chains two persons.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def constrained_clusters(edges: Sequence[tuple[float, str, str]], identifiers: Mapping[str, Mapping[str, str | None]]) -> tuple[dict[str, str], int]:
    """Clusters of linked records that never hold a cannot-link pair.

    Links are added strongest first (ties by record ids), with a union-find that refuses a link
    joining two groups whose valid identifiers differ (the "cannot-link" constraint of
    Wagstaff et al. 2001, "Constrained K-means clustering with background knowledge"). For a
    cluster without a cannot-link pair this gives its connected component; a cluster that would
    hold one is split at its weakest links, so no weak bridge chains two persons.

    Args:
        edges: ``(match_weight, record_id_l, record_id_r)`` of the linked pairs.
        identifiers: record id → {identifier column → valid value or None}.

    Returns:
        ``(cluster_of, refused)``: record id → cluster id (the smallest record id of the cluster)
        for every record of an edge; ``refused``: how many links were refused.
    """
    parent: dict[str, str] = {}
    sets: dict[str, dict[str, set]] = {}

    def find(v: str) -> str:
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for v in sorted({x for _, a, b in edges for x in (a, b)}):
        parent[v] = v
        sets[v] = {c: ({x} if x is not None else set()) for c, x in (identifiers.get(v) or {}).items()}
    refused = 0
    for _, a, b in sorted(edges, key=lambda e: (-e[0], e[1], e[2])):
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        if any(len(sets[ra].get(c, set()) | sets[rb].get(c, set())) > 1 for c in set(sets[ra]) | set(sets[rb])):
            refused += 1
            continue
        keep, drop = (ra, rb) if ra < rb else (rb, ra)
        parent[drop] = keep
        for c in set(sets[keep]) | set(sets[drop]):
            sets[keep][c] = sets[keep].get(c, set()) | sets[drop].get(c, set())
    groups: dict[str, list[str]] = {}
    for v in parent:
        groups.setdefault(find(v), []).append(v)
    return {v: min(vs) for vs in groups.values() for v in vs}, refused
