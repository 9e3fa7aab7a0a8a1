"""Probable duplicates: blocking, Fellegi–Sunter scoring fitted by EM, guard rails, clustering.

Model: Fellegi, I. P. & Sunter, A. B. (1969), "A Theory for Record Linkage", JASA 64(328). Each
candidate pair gets a comparison vector γ (one level per compared field: exact, fuzzy levels,
``else``, or ``null`` when either side is missing). With ``m_f,l = P(γ_f = l | same person)`` and
``u_f,l = P(γ_f = l | different persons)`` the match weight is
``log2(λ/(1-λ)) + Σ_f log2(m_f,l / u_f,l)`` (a ``null`` level adds 0: missing versus missing is no
evidence) and the match probability ``2^w / (1 + 2^w)``.

Estimation (deterministic, no random sampling):

- ``u`` from a hash-chosen set of record pairs (almost all pairs of two records are different
  persons), with add-one smoothing, as Splink's ``estimate_u_using_random_sampling`` does but with
  a reproducible choice of pairs (``xxhash64`` buckets of the record id);
- ``m`` and ``λ`` by EM on the candidate pairs with ``u`` held fixed (Winkler 1988; fastLink,
  Enamorado et al. 2019, runs EM on the counts of distinct comparison vectors, as here). The pairs
  are aggregated in Spark into the distinct vectors and their counts (at most Π levels rows), so
  EM runs on the driver over a few hundred numbers, never over rows.

Guard rails applied after scoring, whatever the model says (issue 5):

- ``distinct_identifiers``: two records whose identifier is valid on both sides and differs are a
  cannot-link pair (two different valid resident ID numbers are two persons: GB 11643-1999 gives
  one number per person for life, and a one-digit typo breaks the MOD 11-2 check, so it is never
  a valid number);
- missing versus missing is a ``null`` level, weight 0;
- a pair links only with an exact agreement on a field that is ``sufficient_alone`` (the ID
  number), or with agreement on at least one ``identity_fields`` field and on at least
  ``min_agreeing_fields`` fields: a shared phone or address alone links relatives, not one person;
- clusters (connected components of the linked pairs) are checked for cannot-link pairs; a
  cluster that holds one is rebuilt by adding its links strongest first and refusing any link
  that would join two records of a cannot-link pair, so no weak bridge chains two persons.

Blocking (near-linear candidate pairs): a pair is a candidate when it agrees exactly on every
expression of at least one blocking rule; a block larger than ``max_block_size`` is skipped and
counted (a shared landline of a company, a very common name), so the candidate pairs are bounded
by ``records × max_block_size`` per rule.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import reduce
from pathlib import Path
from typing import Any

import yaml
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

NULL_LEVEL = -1


# ----------------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Comparison:
    """One compared field: ``column`` on both sides, agreement ``levels`` best first.

    Level kinds: ``exact``; ``masked`` (one side has ``*`` and every other character matches, same
    length); ``lower`` (equal ignoring case); ``levenshtein:K`` (edit distance ≤ K, Levenshtein
    1966); ``prefix:K`` (first K characters equal). Two implicit levels follow: ``else`` (index
    ``len(levels)``) and ``null`` (index -1, either side missing).
    """

    name: str
    column: str
    levels: tuple[str, ...]

    def labels(self) -> tuple[str, ...]:
        return (*self.levels, "else")


@dataclass(frozen=True)
class LinkageSettings:
    """Settings of the probable-duplicate model (``configs/linkage.yaml``), round-trip to JSON."""

    comparisons: tuple[Comparison, ...]
    blocking_rules: tuple[tuple[str, ...], ...]
    max_block_size: int = 50
    u_sample_pairs: int = 200_000
    threshold_match_probability: float = 0.99
    near_threshold_weight: float = 2.0
    em_max_iterations: int = 200
    em_tolerance: float = 1e-9
    em_min_pairs: int = 200
    prior: float = 0.1
    default_m: Mapping[str, float] = field(default_factory=dict)
    default_u: Mapping[str, float] = field(default_factory=dict)
    distinct_identifiers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sufficient_alone: tuple[str, ...] = ()
    identity_fields: tuple[str, ...] = ()
    min_agreeing_fields: int = 2
    record_id: str = "record_id"
    order_by: tuple[str, ...] = ("record_id",)

    @property
    def threshold_match_weight(self) -> float:
        p = self.threshold_match_probability
        return math.log2(p / (1.0 - p))

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self), sort_keys=True))

    def digest(self) -> str:
        """SHA-256 of the canonical JSON of the settings (recorded with every count)."""
        text = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> "LinkageSettings":
        d = dict(data)
        d.update(d.pop("guards", None) or {})
        d["comparisons"] = tuple(Comparison(c["name"], c["column"], tuple(str(x) for x in c["levels"])) for c in d["comparisons"])
        d["blocking_rules"] = tuple(tuple(str(x) for x in r) for r in d["blocking_rules"])
        d["distinct_identifiers"] = {k: tuple(v) for k, v in (d.get("distinct_identifiers") or {}).items()}
        for key in ("sufficient_alone", "identity_fields", "order_by"):
            if key in d:
                d[key] = tuple(d[key] or ())
        d["default_m"] = dict(d.get("default_m") or {})
        d["default_u"] = dict(d.get("default_u") or {})
        return LinkageSettings(**d)

    @staticmethod
    def from_yaml(path: str | Path) -> "LinkageSettings":
        with open(path, encoding="utf-8") as fh:
            return LinkageSettings.from_dict(yaml.safe_load(fh)["linkage"])


# ----------------------------------------------------------------------------------- blocking


def _rule_key(rule: Sequence[str]) -> tuple[Column, Column]:
    exprs = [F.expr(e) for e in rule]
    present = reduce(lambda a, b: a & b, [e.isNotNull() & (e.cast("string") != F.lit("")) for e in exprs])
    return F.concat_ws("\u001f", *[e.cast("string") for e in exprs]), present


def candidate_pairs(df: DataFrame, settings: LinkageSettings) -> tuple[DataFrame, DataFrame]:
    """Pairs of records that agree exactly on every expression of at least one blocking rule.

    Args:
        df: records with ``settings.record_id`` (string, unique) and the columns the blocking
            rules name (Spark SQL expressions, e.g. ``name_key``, ``substr(surname, 1, 2)``).
        settings: ``blocking_rules`` and ``max_block_size``.

    Returns:
        ``(pairs, blocks)``. ``pairs``: ``record_id_l`` < ``record_id_r`` (string), ``blocking_rule``
        (int, the first rule that produced the pair), one row per pair. ``blocks``: per rule
        ``blocking_rule`` (int), ``blocks`` (long, blocks of 2+ records used), ``skipped_blocks``
        and ``skipped_records`` (long, blocks over ``max_block_size``), ``pairs`` (long, before
        removing pairs already produced by an earlier rule).
    """
    rid = settings.record_id
    out = []
    stats = []
    for i, rule in enumerate(settings.blocking_rules):
        key, present = _rule_key(rule)
        keyed = df.where(present).select(F.col(rid).alias("_rid"), key.alias("_bk"))
        sizes = keyed.groupBy("_bk").agg(F.count(F.lit(1)).alias("_n"))
        stats.append(sizes.where(F.col("_n") >= 2).agg(
            F.lit(i).alias("blocking_rule"),
            F.sum(F.when(F.col("_n") <= settings.max_block_size, 1).otherwise(0)).cast("long").alias("blocks"),
            F.sum(F.when(F.col("_n") > settings.max_block_size, 1).otherwise(0)).cast("long").alias("skipped_blocks"),
            F.sum(F.when(F.col("_n") > settings.max_block_size, F.col("_n")).otherwise(0)).cast("long").alias("skipped_records"),
            F.sum(F.when(F.col("_n") <= settings.max_block_size, F.col("_n") * (F.col("_n") - 1) / 2).otherwise(0)).cast("long").alias("pairs"),
        ))
        usable = keyed.join(sizes.where((F.col("_n") >= 2) & (F.col("_n") <= settings.max_block_size)).select("_bk"), "_bk")
        left, right = usable.alias("l"), usable.alias("r")
        out.append(left.join(right, (F.col("l._bk") == F.col("r._bk")) & (F.col("l._rid") < F.col("r._rid")))
                   .select(F.col("l._rid").alias("record_id_l"), F.col("r._rid").alias("record_id_r"), F.lit(i).alias("blocking_rule")))
    if not out:
        raise ValueError("no blocking rules")
    pairs = reduce(DataFrame.unionByName, out).groupBy("record_id_l", "record_id_r").agg(F.min("blocking_rule").alias("blocking_rule"))
    blocks = reduce(DataFrame.unionByName, stats)
    return pairs, blocks


def sample_pairs(df: DataFrame, settings: LinkageSettings, n_records: int) -> DataFrame:
    """About ``u_sample_pairs`` record pairs chosen by hash (reproducible), for estimating ``u``.

    Records fall into ``B = ceil(n² / (2 · u_sample_pairs))`` buckets by ``xxhash64`` of the
    record id; every pair inside a bucket is taken, ~``n²/(2B)`` pairs in all.
    Out: ``record_id_l`` < ``record_id_r`` (string).
    """
    rid = settings.record_id
    buckets = max(1, math.ceil(n_records * n_records / (2.0 * max(1, settings.u_sample_pairs))))
    b = df.select(F.col(rid).alias("_rid"), F.pmod(F.xxhash64(F.col(rid), F.lit("u-sample")), F.lit(buckets)).alias("_b"))
    left, right = b.alias("l"), b.alias("r")
    return left.join(right, (F.col("l._b") == F.col("r._b")) & (F.col("l._rid") < F.col("r._rid"))).select(
        F.col("l._rid").alias("record_id_l"), F.col("r._rid").alias("record_id_r"))


# ----------------------------------------------------------------------------------- comparing


def _masked_compatible(a: Column, b: Column) -> Column:
    """One side has ``*``; same length; the other side matches it with ``*`` as any character."""
    def pattern(x: Column) -> Column:
        return F.concat(F.lit("^\\Q"), F.replace(x, F.lit("*"), F.lit("\\E.\\Q")), F.lit("\\E$"))

    return (F.length(a) == F.length(b)) & (
        (a.contains("*") & _rlike(b, pattern(a))) | (b.contains("*") & _rlike(a, pattern(b)))
    )


def _rlike(value: Column, pattern: Column) -> Column:
    return F.when(value.isNull() | pattern.isNull(), F.lit(False)).otherwise(F.regexp_like(value, pattern))


def _level_condition(kind: str, a: Column, b: Column) -> Column:
    if kind == "exact":
        return a == b
    if kind == "masked":
        return _masked_compatible(a, b)
    if kind == "lower":
        return F.lower(a) == F.lower(b)
    name, _, arg = kind.partition(":")
    if name == "levenshtein":
        k = int(arg)
        d = F.levenshtein(a, b, k)
        return (d >= 0) & (d <= k)
    if name == "prefix":
        k = int(arg)
        return (F.length(a) >= k) & (F.substring(a, 1, k) == F.substring(b, 1, k))
    raise ValueError(f"unknown comparison level {kind!r}")


def gamma(comparison: Comparison, a: Column, b: Column) -> Column:
    """The level index of one field of a pair: -1 null, 0.. the ``levels``, ``len(levels)`` else."""
    blank = lambda c: c.isNull() | (c.cast("string") == F.lit(""))  # noqa: E731
    expr = F.when(blank(a) | blank(b), F.lit(NULL_LEVEL))
    for i, kind in enumerate(comparison.levels):
        expr = expr.when(_level_condition(kind, a.cast("string"), b.cast("string")), F.lit(i))
    return expr.otherwise(F.lit(len(comparison.levels)))


def _side_columns(settings: LinkageSettings) -> list[str]:
    cols = {c.column for c in settings.comparisons}
    for column, statuses in settings.distinct_identifiers.items():
        cols.add(column)
        if statuses:
            cols.add(f"{column}_status")
    return sorted(cols)


def compare_pairs(pairs: DataFrame, df: DataFrame, settings: LinkageSettings) -> DataFrame:
    """Comparison vectors of ``pairs`` (``record_id_l``, ``record_id_r``, any other columns kept).

    Out: the pair columns + ``gamma_<name>`` (int) per comparison + ``cannot_link`` (boolean: a
    ``distinct_identifiers`` column is valid on both sides and differs).
    """
    rid = settings.record_id
    side = _side_columns(settings)
    left = df.select(F.col(rid).alias("record_id_l"), *[F.col(c).alias(f"{c}__l") for c in side])
    right = df.select(F.col(rid).alias("record_id_r"), *[F.col(c).alias(f"{c}__r") for c in side])
    joined = pairs.join(left, "record_id_l").join(right, "record_id_r")
    exprs = {f"gamma_{c.name}": gamma(c, F.col(f"{c.column}__l"), F.col(f"{c.column}__r")) for c in settings.comparisons}
    cannot = F.lit(False)
    for column, statuses in settings.distinct_identifiers.items():
        a, b = F.col(f"{column}__l"), F.col(f"{column}__r")
        both_valid = a.isNotNull() & b.isNotNull()
        if statuses:
            both_valid = both_valid & F.col(f"{column}_status__l").isin(*statuses) & F.col(f"{column}_status__r").isin(*statuses)
        cannot = cannot | (both_valid & (a != b))
    exprs["cannot_link"] = cannot
    keep = [c for c in pairs.columns]
    return joined.withColumns(exprs).select(*keep, *exprs.keys())


# ----------------------------------------------------------------------------------- estimation


@dataclass(frozen=True)
class FittedModel:
    """Parameters of a fitted Fellegi–Sunter model (all floats rounded to 12 significant digits)."""

    prior: float
    m: dict[str, list[float]]
    u: dict[str, list[float]]
    iterations: int
    converged: bool
    candidate_pairs: int
    u_pairs: int
    source: str  # "em" or "defaults"

    def weights(self) -> dict[str, list[float]]:
        """``log2(m/u)`` per level (the Bayes factors of Fellegi & Sunter 1969, in bits)."""
        return {k: [round(math.log2(m / u), 6) for m, u in zip(self.m[k], self.u[k])] for k in self.m}

    @property
    def prior_weight(self) -> float:
        return round(math.log2(self.prior / (1.0 - self.prior)), 6)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "weights": self.weights(), "prior_weight": self.prior_weight}


def _round(x: float) -> float:
    return float(f"{x:.12g}")


def _defaults(settings: LinkageSettings, kind: str) -> dict[str, list[float]]:
    """Default m (or u) per level from the settings (``exact``, ``else``, other level names)."""
    table = settings.default_m if kind == "m" else settings.default_u
    fallback_m = {"exact": 0.9, "else": 0.02}
    fallback_u = {"exact": 0.001, "else": 0.98}
    out = {}
    for c in settings.comparisons:
        vals = []
        for label in c.labels():
            kind_name = label.split(":")[0]
            v = table.get(label, table.get(kind_name, (fallback_m if kind == "m" else fallback_u).get(kind_name, 0.05 if kind == "m" else 0.01)))
            vals.append(float(v))
        total = sum(vals)
        out[c.name] = [v / total for v in vals]
    return out


def estimate_u(sample: DataFrame, settings: LinkageSettings) -> tuple[dict[str, list[float]], int]:
    """``u_f,l`` from the comparison vectors of sampled pairs, add-one smoothed. Returns (u, pairs)."""
    aggs = []
    for c in settings.comparisons:
        g = F.col(f"gamma_{c.name}")
        for level in range(len(c.labels())):
            aggs.append(F.sum(F.when(g == level, 1).otherwise(0)).cast("long").alias(f"{c.name}#{level}"))
    row = sample.agg(F.count(F.lit(1)).alias("_n"), *aggs).collect()[0]
    u = {}
    for c in settings.comparisons:
        counts = [int(row[f"{c.name}#{level}"] or 0) for level in range(len(c.labels()))]
        total = sum(counts) + len(counts)
        u[c.name] = [_round((n + 1) / total) for n in counts]
    return u, int(row["_n"])


def comparison_patterns(compared: DataFrame, settings: LinkageSettings) -> list[tuple[tuple[int, ...], int]]:
    """Distinct comparison vectors of the pairs with their counts, sorted (deterministic EM input)."""
    cols = [f"gamma_{c.name}" for c in settings.comparisons]
    rows = compared.groupBy(*cols).count().collect()
    return sorted((tuple(int(r[c]) for c in cols), int(r["count"])) for r in rows)


def fit_em(patterns: Sequence[tuple[tuple[int, ...], int]], u: Mapping[str, Sequence[float]], settings: LinkageSettings,
           *, u_pairs: int = 0) -> FittedModel:
    """EM for ``m`` and ``λ`` with ``u`` fixed, over counted comparison vectors.

    E-step: ``P(match | γ) = λ Π m / (λ Π m + (1-λ) Π u)``, null levels left out of both products.
    M-step: ``λ = Σ n_γ p_γ / Σ n_γ``; ``m_f,l = Σ n_γ p_γ [γ_f = l] / Σ n_γ p_γ [γ_f ≠ null]``.
    Source: Fellegi & Sunter (1969); Winkler (1988) "Using the EM algorithm for weight computation
    in the Fellegi–Sunter model of record linkage". With fewer than ``em_min_pairs`` candidate
    pairs there is too little data: the ``default_m`` of the settings and the given ``u`` are used.
    """
    comps = settings.comparisons
    n_pairs = sum(n for _, n in patterns)
    m = _defaults(settings, "m")
    if n_pairs < settings.em_min_pairs:
        return FittedModel(settings.prior, {k: [_round(x) for x in v] for k, v in m.items()},
                           {k: list(v) for k, v in u.items()}, 0, False, n_pairs, u_pairs, "defaults")
    lam = settings.prior
    log_u = {c.name: [math.log(x) for x in u[c.name]] for c in comps}
    converged = False
    it = 0
    for it in range(1, settings.em_max_iterations + 1):
        log_m = {c.name: [math.log(max(x, 1e-300)) for x in m[c.name]] for c in comps}
        wsum = 0.0
        acc = {c.name: [0.0] * len(c.labels()) for c in comps}
        den = {c.name: 0.0 for c in comps}
        for vec, n in patterns:
            lm, lu = math.log(lam), math.log(1.0 - lam)
            for c, g in zip(comps, vec):
                if g != NULL_LEVEL:
                    lm += log_m[c.name][g]
                    lu += log_u[c.name][g]
            diff = lu - lm
            p = 1.0 / (1.0 + math.exp(diff)) if diff < 700 else 0.0
            w = n * p
            wsum += w
            for c, g in zip(comps, vec):
                if g != NULL_LEVEL:
                    acc[c.name][g] += w
                    den[c.name] += w
        new_lam = min(max(wsum / n_pairs, 1e-9), 1 - 1e-9)
        new_m = {}
        for c in comps:
            k = len(c.labels())
            if den[c.name] > 0:
                vals = [(acc[c.name][j] + 1e-6) / (den[c.name] + k * 1e-6) for j in range(k)]
            else:
                vals = m[c.name]
            new_m[c.name] = vals
        delta = max([abs(new_lam - lam)] + [abs(a - b) for c in comps for a, b in zip(new_m[c.name], m[c.name])])
        lam, m = new_lam, new_m
        if delta < settings.em_tolerance:
            converged = True
            break
    return FittedModel(_round(lam), {k: [_round(x) for x in v] for k, v in m.items()}, {k: list(v) for k, v in u.items()},
                       it, converged, n_pairs, u_pairs, "em")


# ----------------------------------------------------------------------------------- scoring


def score_pairs(compared: DataFrame, model: FittedModel, settings: LinkageSettings) -> DataFrame:
    """Add ``match_weight`` (double, bits), ``match_probability`` (double), ``agreeing_fields``
    (int), ``guard`` (string: ``different_identifiers`` / ``insufficient_evidence`` / NULL) and
    ``linked`` (boolean: probability ≥ threshold and no guard) to compared pairs. Literal weights
    only, so the values are the same on every run and every partitioning."""
    weights = model.weights()
    total: Column = F.lit(model.prior_weight)
    agree_count: Column = F.lit(0)
    identity: Column = F.lit(False)
    sufficient: Column = F.lit(False)
    for c in settings.comparisons:
        g = F.col(f"gamma_{c.name}")
        w = F.when(g == NULL_LEVEL, F.lit(0.0))
        for level, value in enumerate(weights[c.name]):
            w = w.when(g == level, F.lit(value))
        total = total + w
        agrees = (g >= 0) & (g < len(c.levels))
        agree_count = agree_count + agrees.cast("int")
        if c.name in settings.identity_fields:
            identity = identity | agrees
        if c.name in settings.sufficient_alone:
            sufficient = sufficient | (g == 0)
    weight = F.round(total, 6)
    probability = F.round(F.lit(1.0) / (F.lit(1.0) + F.pow(F.lit(2.0), -weight)), 9)
    guard = (F.when(F.col("cannot_link"), F.lit("different_identifiers"))
             .when(~(sufficient | (identity & (agree_count >= settings.min_agreeing_fields))), F.lit("insufficient_evidence")))
    return (compared.withColumn("match_weight", weight)
            .withColumn("match_probability", probability)
            .withColumn("agreeing_fields", agree_count)
            .withColumn("guard", guard)
            .withColumn("linked", (F.col("match_weight") >= F.lit(round(settings.threshold_match_weight, 6))) & F.col("guard").isNull()))


def level_labels(settings: LinkageSettings) -> dict[str, Column]:
    """``level_<name>`` (string): the label of each field's comparison level (``exact``, ``null``...)."""
    out = {}
    for c in settings.comparisons:
        g = F.col(f"gamma_{c.name}")
        e = F.when(g == NULL_LEVEL, F.lit("null"))
        for i, label in enumerate(c.labels()):
            e = e.when(g == i, F.lit(label))
        out[f"level_{c.name}"] = e.alias(f"level_{c.name}")
    return out


# ----------------------------------------------------------------------------------- clustering


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


# ----------------------------------------------------------------------------------- all steps


@dataclass
class ProbableResult:
    """Everything :func:`probable_duplicates` produces."""

    scored: DataFrame          # every candidate pair with gammas, weight, probability, guard, linked (lazy)
    clusters: DataFrame        # record_id, cluster_id, survivor_record_id, cluster_size (records in clusters of 2+)
    links: DataFrame           # one row per probable duplicate (see probable_duplicates)
    model: FittedModel
    stats: dict[str, Any]      # counts for the bench and the report (plain Python values)


def probable_duplicates(df: DataFrame, settings: LinkageSettings) -> ProbableResult:
    """Find probable duplicates among ``df`` (records already free of exact duplicates).

    Blocking, comparison, estimation and scoring run in Spark; only the linked pairs (about one
    per probable duplicate) reach the driver, where :func:`constrained_clusters` groups them.

    Args:
        df: records with ``settings.record_id`` (string, unique), the compared columns (string,
            NULL when missing), the ``<column>_status`` of each ``distinct_identifiers`` column
            and the ``settings.order_by`` columns.
        settings: the model settings (``configs/linkage.yaml``).

    Returns:
        A :class:`ProbableResult`. ``links``: ``record_id`` (the probable duplicate),
        ``survivor_record_id`` (the first record of its cluster by ``order_by``),
        ``linked_record_id`` (the other end of its strongest link inside the cluster),
        ``match_weight`` (double), ``match_probability`` (double) and ``level_<name>`` (string)
        of that link, ``cluster_id`` (string) and ``cluster_size`` (long).
    """
    rid = settings.record_id
    spark = df.sparkSession
    order_cols = [c for c in settings.order_by if c != rid]
    ident_exprs = []
    for column, statuses in settings.distinct_identifiers.items():
        valid = F.col(column).isNotNull()
        if statuses:
            valid = valid & F.col(f"{column}_status").isin(*statuses)
        ident_exprs.append(F.when(valid, F.col(column)).alias(f"_ident_{column}"))
    side = sorted({*_side_columns(settings), *order_cols, *_blocking_columns(df, settings)} - {rid})
    base = df.select(F.col(rid), *[F.col(c) for c in side], *ident_exprs).cache()
    n = base.count()
    pairs, blocks = candidate_pairs(base, settings)
    compared = compare_pairs(pairs, base, settings).cache()
    patterns = comparison_patterns(compared, settings)
    if n >= 2 and sum(c for _, c in patterns) >= settings.em_min_pairs:
        u, u_pairs = estimate_u(compare_pairs(sample_pairs(base, settings, n), base, settings), settings)
    else:
        u, u_pairs = _defaults(settings, "u"), 0
    model = fit_em(patterns, u, settings, u_pairs=u_pairs)
    scored = score_pairs(compared, model, settings)
    labels = level_labels(settings)
    label_names = list(labels)
    edges = scored.where(F.col("linked")).select("record_id_l", "record_id_r", "match_weight", "match_probability",
                                                  *[e.alias(k) for k, e in labels.items()]).collect()
    members = sorted({e["record_id_l"] for e in edges} | {e["record_id_r"] for e in edges})
    info: dict[str, Any] = {}
    if members:
        rows = base.where(F.col(rid).isin(members)).select(rid, *order_cols, *[f"_ident_{c}" for c in settings.distinct_identifiers]).collect()
        info = {r[rid]: r for r in rows}
    identifiers = {v: {c: info[v][f"_ident_{c}"] for c in settings.distinct_identifiers} for v in members}
    cluster_of, refused = constrained_clusters([(float(e["match_weight"]), e["record_id_l"], e["record_id_r"]) for e in edges], identifiers)
    groups: dict[str, list[str]] = {}
    for v, c in cluster_of.items():
        groups.setdefault(c, []).append(v)
    sort_key = lambda v: (tuple(("" if info[v][c] is None else info[v][c]) for c in order_cols), v)  # noqa: E731
    cluster_rows, link_rows = [], []
    best: dict[str, tuple] = {}
    for e in sorted(edges, key=lambda e: (-float(e["match_weight"]), e["record_id_l"], e["record_id_r"])):
        a, b = e["record_id_l"], e["record_id_r"]
        if cluster_of[a] != cluster_of[b]:
            continue
        for x, y in ((a, b), (b, a)):
            if x not in best:
                best[x] = (y, float(e["match_weight"]), float(e["match_probability"]), *[e[k] for k in label_names])
    for c, vs in sorted(groups.items()):
        if len(vs) < 2:
            continue
        survivor = min(vs, key=sort_key)
        for v in sorted(vs):
            cluster_rows.append((v, c, survivor, len(vs)))
            if v != survivor:
                link_rows.append((v, survivor, *best[v], c, len(vs)))
    clusters = spark.createDataFrame(cluster_rows, "record_id string, cluster_id string, survivor_record_id string, cluster_size long")
    links = spark.createDataFrame(link_rows, "record_id string, survivor_record_id string, linked_record_id string, match_weight double, "
                                  "match_probability double, " + ", ".join(f"{k} string" for k in label_names)
                                  + ", cluster_id string, cluster_size long")
    threshold_w = round(settings.threshold_match_weight, 6)
    near = F.abs(F.col("match_weight") - F.lit(threshold_w)) <= F.lit(settings.near_threshold_weight)
    agg = scored.agg(
        F.count(F.lit(1)).alias("candidate_pairs"),
        F.sum(F.col("linked").cast("int")).alias("linked_pairs"),
        F.sum((F.col("guard") == "different_identifiers").cast("int")).alias("refused_different_identifiers"),
        F.sum(((F.col("guard") == "insufficient_evidence") & (F.col("match_weight") >= threshold_w)).cast("int")).alias("refused_insufficient_evidence"),
        F.sum(near.cast("int")).alias("near_threshold_pairs"),
        F.sum((near & F.col("linked")).cast("int")).alias("near_threshold_linked"),
    ).collect()[0]
    block_rows = sorted((r.asDict() for r in blocks.collect()), key=lambda r: r["blocking_rule"])
    stats = {
        "records": n,
        "candidate_pairs": int(agg["candidate_pairs"] or 0),
        "linked_pairs": int(agg["linked_pairs"] or 0),
        "refused_different_identifiers": int(agg["refused_different_identifiers"] or 0),
        "refused_insufficient_evidence": int(agg["refused_insufficient_evidence"] or 0),
        "near_threshold_pairs": int(agg["near_threshold_pairs"] or 0),
        "near_threshold_linked": int(agg["near_threshold_linked"] or 0),
        "links_refused_in_clustering": refused,
        "probable_clusters": sum(1 for vs in groups.values() if len(vs) > 1),
        "probable_duplicates": len(link_rows),
        "blocking": [{**{k: int(v or 0) for k, v in r.items()}, "rule": list(settings.blocking_rules[r["blocking_rule"]])} for r in block_rows],
        "threshold_match_probability": settings.threshold_match_probability,
        "threshold_match_weight": threshold_w,
        "near_threshold_band_weight": settings.near_threshold_weight,
    }
    return ProbableResult(scored, clusters, links, model, stats)


def _blocking_columns(df: DataFrame, settings: LinkageSettings) -> list[str]:
    """Plain columns of ``df`` that the blocking expressions mention (so ``base`` keeps them)."""
    import re

    names = set()
    for rule in settings.blocking_rules:
        for expr in rule:
            for token in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expr):
                if token in df.columns:
                    names.add(token)
    return sorted(names)


def pairwise_and_b3(predicted: Mapping[str, str], truth: Mapping[str, str]) -> dict[str, float]:
    """Pairwise precision/recall/F1 of the pairs inside clusters, and B³ precision/recall/F1.

    Args:
        predicted: record id → predicted cluster id (every record).
        truth: record id → true entity id (every record).

    Pairwise: the pairs of records sharing a predicted cluster, against the pairs sharing a true
    entity (the usual deduplication measure, Christen 2012 §7). B³: Bagga & Baldwin (1998),
    "Algorithms for scoring coreference chains": per record, precision = |C ∩ T| / |C|, recall =
    |C ∩ T| / |T| for its predicted cluster C and true cluster T, averaged over records.
    """
    from collections import Counter, defaultdict

    pred_groups: dict[str, list[str]] = defaultdict(list)
    for r, c in predicted.items():
        pred_groups[c].append(r)
    true_sizes = Counter(truth.values())
    pred_sizes = {c: len(v) for c, v in pred_groups.items()}
    tp = 0
    inter: Counter = Counter()
    for c, rs in pred_groups.items():
        cnt = Counter(truth[r] for r in rs)
        for t, k in cnt.items():
            tp += k * (k - 1) // 2
            inter[(c, t)] = k
    pred_pairs = sum(s * (s - 1) // 2 for s in pred_sizes.values())
    true_pairs = sum(s * (s - 1) // 2 for s in true_sizes.values())
    p = tp / pred_pairs if pred_pairs else 1.0
    r = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    bp = br = 0.0
    for rec, c in predicted.items():
        k = inter[(c, truth[rec])]
        bp += k / pred_sizes[c]
        br += k / true_sizes[truth[rec]]
    n = len(predicted)
    bp, br = bp / n, br / n
    bf = 2 * bp * br / (bp + br) if bp + br else 0.0
    return {"pairwise_precision": round(p, 6), "pairwise_recall": round(r, 6), "pairwise_f1": round(f1, 6),
            "true_pairs": true_pairs, "predicted_pairs": pred_pairs, "true_positive_pairs": tp,
            "b3_precision": round(bp, 6), "b3_recall": round(br, 6), "b3_f1": round(bf, 6)}
