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


def survivor_rows(edges: Sequence[Mapping], cluster_of: Mapping[str, str], order_key: Mapping[str, tuple],
                  label_names: Sequence[str]) -> tuple[list[tuple], list[tuple]]:
    """The rows of the ``clusters`` and probable ``links`` tables from the clustered linked pairs.

    Args:
        edges: the linked pairs, each a mapping with ``record_id_l``, ``record_id_r`` (str),
            ``match_weight``, ``match_probability`` (float) and one comparison-level label per name in
            ``label_names``.
        cluster_of: record id → cluster id (:func:`constrained_clusters`).
        order_key: record id → its survivor sort key (``settings.order_by`` values, ``None`` as ``""``,
            then the id): the first record of a cluster in that order survives.
        label_names: the level-label keys of ``edges``, in the links table's column order.

    Returns:
        ``(cluster_rows, link_rows)``: ``(record_id, cluster_id, survivor_record_id, cluster_size)`` for
        every member of a cluster of two or more; ``(record_id, survivor_record_id, linked_record_id,
        match_weight, match_probability, *labels, cluster_id, cluster_size)`` for every non-survivor, its
        linked record being the other end of its strongest link inside the cluster (ties broken by the
        ids), so the output does not depend on the order of ``edges``.
    """
    groups: dict[str, list[str]] = {}
    for v, c in cluster_of.items():
        groups.setdefault(c, []).append(v)
    best: dict[str, tuple] = {}
    for e in sorted(edges, key=lambda e: (-float(e["match_weight"]), e["record_id_l"], e["record_id_r"])):
        a, b = e["record_id_l"], e["record_id_r"]
        if cluster_of[a] != cluster_of[b]:
            continue
        for x, y in ((a, b), (b, a)):
            if x not in best:
                best[x] = (y, float(e["match_weight"]), float(e["match_probability"]), *[e[k] for k in label_names])
    cluster_rows, link_rows = [], []
    for c, vs in sorted(groups.items()):
        if len(vs) < 2:
            continue
        survivor = min(vs, key=lambda v: order_key[v])
        for v in sorted(vs):
            cluster_rows.append((v, c, survivor, len(vs)))
            if v != survivor:
                link_rows.append((v, survivor, *best[v], c, len(vs)))
    return cluster_rows, link_rows
