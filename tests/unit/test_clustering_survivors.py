"""``survivor_rows``: the clusters and probable links tables from clustered linked pairs, on a
hand-made example whose rows are worked out by hand below (no Spark)."""

from jobs.deduplicate.linkage.clustering import survivor_rows


def _edge(left, right, weight, probability, level):
    return {"record_id_l": left, "record_id_r": right, "match_weight": weight, "match_probability": probability, "level_name": level}


def test_survivor_is_first_in_order_and_each_link_is_the_strongest_inside_the_cluster():
    # Cluster K1 = {a, b, c} linked a-b (5.0) and b-c (3.0); d and e were linked (2.0) but the
    # cannot-link rule put them in two clusters, so that edge is dropped; f is alone.
    edges = [_edge("b", "c", 3.0, 0.7, "L2"), _edge("a", "b", 5.0, 0.9, "L1"), _edge("d", "e", 2.0, 0.6, "L3")]
    cluster_of = {"a": "K1", "b": "K1", "c": "K1", "d": "K2", "e": "K3", "f": "K4"}
    # c sorts first (its order value is the smallest), so c survives.
    order_key = {"a": (("2",), "a"), "b": (("3",), "b"), "c": (("1",), "c"), "d": (("",), "d"), "e": (("",), "e"), "f": (("",), "f")}
    clusters, links = survivor_rows(edges, cluster_of, order_key, ["level_name"])
    assert clusters == [("a", "K1", "c", 3), ("b", "K1", "c", 3), ("c", "K1", "c", 3)]
    # a's strongest link is a-b (5.0); b's is also a-b (5.0 beats b-c's 3.0), so b points at a.
    assert links == [("a", "c", "b", 5.0, 0.9, "L1", "K1", 3), ("b", "c", "a", 5.0, 0.9, "L1", "K1", 3)]


def test_the_order_of_the_edges_does_not_change_the_rows():
    edges = [_edge("x", "y", 4.0, 0.8, "L1"), _edge("x", "z", 4.0, 0.8, "L2")]
    cluster_of = {"x": "K", "y": "K", "z": "K"}
    order_key = {v: ((), v) for v in "xyz"}
    forward = survivor_rows(edges, cluster_of, order_key, ["level_name"])
    assert forward == survivor_rows(list(reversed(edges)), cluster_of, order_key, ["level_name"])
    # Equal weights: the tie goes to the lower (left, right) ids, x-y, so y links to x; x survives.
    assert forward[1] == [("y", "x", "x", 4.0, 0.8, "L1", "K", 3), ("z", "x", "x", 4.0, 0.8, "L2", "K", 3)]
