"""Independent oracles for the resident-ID and phone rules (issue 12 "Independent oracles").

Our rules exist only as Spark Column expressions (jobs.normalize.id_numbers, jobs.normalize.phones),
so each oracle test evaluates its 100,000+ generated values in ONE DataFrame with the session
``spark`` fixture, and compares every verdict with the independent library's:

- resident IDs: python-stdnum ``stdnum.cn.ric.validate`` (GB 11643-1999);
- phones: Google's ``phonenumbers`` (libphonenumber metadata), ``parse(value, "CN")`` +
  ``is_valid_number``.

"Ours accepts" means status ``valid`` or ``repaired``. A disagreement fails the test unless it
matches an entry of the reviewed table ``tests/oracles/exceptions.yaml`` (each with its source).
The agreement figures are printed (``pytest -s``) and quoted in the README.
"""

from __future__ import annotations

import datetime
import random
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

pytestmark = [pytest.mark.spark, pytest.mark.slow]

EXCEPTIONS = yaml.safe_load((Path(__file__).parent / "exceptions.yaml").read_text(encoding="utf-8"))
REFERENCE_DATE = datetime.date(2026, 1, 1)
SEED = 20261202

# GB 11643-1999 section 7, written out here (not imported from the code under test).
_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_C = "10X98765432"


def _check(body: str) -> str:
    return _C[sum(int(d) * w for d, w in zip(body, _W)) % 11]


# Long-standing county codes (GB/T 2260 since the 1980s) and a few created later (110119 Yanqing
# District 2015, 440113 Panyu District 2000, 320115 Jiangning District 2000) that stdnum refuses
# for earlier birth years.
AREAS = ("110101", "110105", "110108", "120101", "310104", "320102", "330102", "420102", "440103",
         "510104", "610102", "210102", "110119", "440113", "320115")


def _random_date(rng: random.Random, start: int, end: int) -> datetime.date:
    lo, hi = datetime.date(start, 1, 1).toordinal(), datetime.date(end, 12, 31).toordinal()
    return datetime.date.fromordinal(rng.randint(lo, hi))


def _id_values(n: int) -> list[tuple[str, str]]:
    """``(kind, value)`` pairs: valid, wrong check character, 15-digit, lowercase x, impossible
    dates, future dates, separators."""
    rng = random.Random(SEED)
    out: list[tuple[str, str]] = []
    impossible = ("19990229", "19990230", "19881301", "19880000", "19880431", "20010229", "19500132")
    while len(out) < n:
        area = rng.choice(AREAS)
        birth = _random_date(rng, 1935, 2007).strftime("%Y%m%d")
        seq = f"{rng.randint(0, 999):03d}"
        body = area + birth + seq
        kind = rng.choice(("valid", "valid", "wrong_check", "15_digit", "lowercase_x", "impossible_date",
                           "future_date", "separators"))
        if kind == "valid":
            out.append((kind, body + _check(body)))
        elif kind == "wrong_check":
            right = _check(body)
            out.append((kind, body + rng.choice([c for c in "0123456789X" if c != right])))
        elif kind == "15_digit":
            out.append((kind, area + birth[2:] + seq))
        elif kind == "lowercase_x":
            for s in range(1000):  # a sequence whose check character is X
                b = area + birth + f"{s:03d}"
                if _check(b) == "X":
                    out.append((kind, b + "x"))
                    break
        elif kind == "impossible_date":
            b = area + rng.choice(impossible) + seq
            out.append((kind, b + _check(b)))
        elif kind == "future_date":
            b = area + _random_date(rng, 2026, 2030).strftime("%Y%m%d") + seq
            if b[6:14] > REFERENCE_DATE.strftime("%Y%m%d"):
                out.append((kind, b + _check(b)))
        else:
            v = body + _check(body)
            sep = rng.choice((" ", "-"))
            out.append((kind, f"{v[:6]}{sep}{v[6:14]}{sep}{v[14:]}"))
    return out


def _stdnum_verdict(value: str) -> str:
    from stdnum.cn import ric
    from stdnum.exceptions import InvalidComponent, ValidationError

    compact = re.sub(r"[\s-]", "", value)  # stdnum's compact() keeps spaces and dashes
    try:
        ric.validate(compact)
        return "valid"
    except InvalidComponent:
        try:
            ric.get_birth_date(compact)
        except (ValidationError, ValueError):
            return "InvalidComponent"
        return "InvalidComponent (birth place)"
    except ValidationError as exc:
        return type(exc).__name__


def _matches(entry: dict, status: str, reason: str | None, oracle: str, national: str | None = None) -> bool:
    want = entry["ours"]
    statuses = want["status"] if isinstance(want["status"], list) else [want["status"]]
    if status not in statuses or ("reason" in want and want["reason"] != reason):
        return False
    if entry["oracle"] != oracle:
        return False
    return "prefix" not in entry or (national is not None and re.search(entry["prefix"], national) is not None)


def _frame(spark, tmp_path, column: str, values: list[str]):
    """The values as one DataFrame (``i`` long, ``column`` string), through a Parquet file written
    with pyarrow: far cheaper than ``createDataFrame`` on 100,000 Python tuples."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / f"{column}.parquet"
    pq.write_table(pa.table({"i": pa.array(range(len(values)), pa.int64()), column: pa.array(values, pa.string())}), path)
    return spark.read.parquet(str(path))


def _report(name: str, total: int, agree: int, excused: Counter, unexplained: list) -> None:
    print(f"\n[oracle {name}] values={total} agree={agree} ({agree / total:.4%}) "
          f"excused={sum(excused.values())} {dict(sorted(excused.items()))} unexplained={len(unexplained)}")


def test_resident_ids_against_stdnum(spark, tmp_path):
    from jobs.normalize.id_numbers import normalize_id_numbers

    values = _id_values(100_000)
    df = _frame(spark, tmp_path, "id_number_raw", [v for _, v in values])
    rows = normalize_id_numbers(df, reference_date=REFERENCE_DATE).select("i", "id_number_status", "id_number_reason")
    rows = list(rows.toPandas().itertuples(index=False))  # Arrow: one columnar transfer
    assert len(rows) == len(values)
    agree, excused, unexplained = 0, Counter(), []
    kinds = Counter(k for k, _ in values)
    for r in rows:
        kind, value = values[r.i]
        oracle = _stdnum_verdict(value)
        ours_ok = r.id_number_status in ("valid", "repaired")
        if ours_ok == (oracle == "valid"):
            agree += 1
            continue
        entry = next((e for e in EXCEPTIONS["resident_id"] if _matches(e, r.id_number_status, r.id_number_reason, oracle)), None)
        if entry is None:
            unexplained.append((kind, r.id_number_status, r.id_number_reason, oracle))
        else:
            excused[entry["id"]] += 1
    _report("resident_id vs stdnum.cn.ric", len(values), agree, excused, unexplained)
    assert set(kinds) == {"valid", "wrong_check", "15_digit", "lowercase_x", "impossible_date", "future_date", "separators"}
    assert not unexplained, Counter(unexplained).most_common(10)


def _phone_values() -> list[tuple[str, str]]:
    """``(national number, value)``: every 3-digit prefix 100-199, 150 random subscriber numbers
    each, in seven written forms (plain, +86, 0086, 86, +86 with spaces, dashes, a leading 0),
    plus the placeholders of DOMAIN.md section 5."""
    rng = random.Random(SEED)
    out: list[tuple[str, str]] = []
    for prefix in range(100, 200):
        for _ in range(150):
            n = f"{prefix}{rng.randint(0, 99_999_999):08d}"
            out += [(n, n), (n, "+86" + n), (n, "0086" + n), (n, "86" + n), (n, f"+86 {n[:3]} {n[3:7]} {n[7:]}"),
                    (n, f"{n[:3]}-{n[3:7]}-{n[7:]}"), (n, "0" + n)]
    out += [("13800138000", "13800138000"), ("12345678901", "12345678901"), ("13800138000", "+8613800138000")]
    return out


def _phonenumbers_verdict(value: str) -> str:
    import phonenumbers

    try:
        return "valid" if phonenumbers.is_valid_number(phonenumbers.parse(value, "CN")) else "invalid"
    except phonenumbers.NumberParseException:
        return "invalid"


def test_phones_against_phonenumbers(spark, tmp_path):
    from jobs.normalize.phones import normalize_phones

    values = _phone_values()
    df = _frame(spark, tmp_path, "phone_raw", [v for _, v in values])
    rows = list(normalize_phones(df).select("i", "phone_status", "phone_reason").toPandas().itertuples(index=False))
    assert len(rows) == len(values) >= 100_000
    agree, excused, unexplained = 0, Counter(), []
    for r in rows:
        national, value = values[r.i]
        oracle = _phonenumbers_verdict(value)
        if (r.phone_status in ("valid", "repaired")) == (oracle == "valid"):
            agree += 1
            continue
        entry = next((e for e in EXCEPTIONS["phone"] if _matches(e, r.phone_status, r.phone_reason, oracle, national)), None)
        if entry is None:
            unexplained.append((national[:5], value.replace(national, "N"), r.phone_status, r.phone_reason, oracle))
        else:
            excused[entry["id"]] += 1
    _report("phone vs phonenumbers", len(values), agree, excused, unexplained)
    assert not unexplained, Counter(unexplained).most_common(15)
