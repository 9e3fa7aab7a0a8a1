"""Model constants over the typed settings: the null level and the default ``m`` and ``u``.

The settings themselves (:class:`jobs.common.linkage.LinkageSettings`, :class:`jobs.common.linkage.Comparison`)
are a section of the configuration, read once by :func:`jobs.common.config.load_config`.
:data:`NULL_LEVEL` is the level of a pair where either side is missing; :func:`defaults` gives the
default ``m`` and ``u`` per level (used when there are too few pairs for EM, or no pairs to sample
``u`` from).
"""

from __future__ import annotations

from jobs.common.linkage import LinkageSettings

#: Comparison level of a pair where either side is missing (weight 0: no evidence).
NULL_LEVEL = -1


def defaults(settings: LinkageSettings, kind: str) -> dict[str, list[float]]:
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
