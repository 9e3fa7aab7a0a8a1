"""Single-node baseline: the same ID / phone / name normalization rules and the same exact
deduplication, written in DuckDB SQL over the intake stage's ``raw_records`` Parquet.

Used by ``bench/run.py`` to put casefile's Spark stages side by side with a well-tuned single-node
engine on the same machine and the same input. Differences, by design of the baseline: DuckDB has
no OpenCC, so names are not converted traditional → simplified (the match key is the cleaned
source form); address and e-mail get the same full-width folding and whitespace rules as casefile.
"""

from __future__ import annotations

import time
from pathlib import Path

FULL = "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ＋＠．－　"
HALF = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz+@.- "
PLACEHOLDERS = "('', '-', 'null', '\\n', '无', '不详', 'nan', 'n/a', 'none', 'test', '--')"

NORMALIZE_SQL = f"""
CREATE OR REPLACE MACRO fw(s) AS translate(s, '{FULL}', '{HALF}');
CREATE OR REPLACE MACRO ph(s) AS lower(trim(s)) IN {PLACEHOLDERS};
CREATE OR REPLACE MACRO check_char(d17) AS substr('10X98765432',
    CAST((list_sum(list_transform(range(17), lambda i: CAST(substr(d17, i + 1, 1) AS INTEGER) * [7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2][i + 1])) % 11) + 1 AS BIGINT), 1);
CREATE OR REPLACE TABLE records AS
WITH c AS (
  SELECT *,
    CASE WHEN id_number_raw IS NULL OR ph(id_number_raw) THEN NULL
         ELSE upper(regexp_replace(fw(trim(id_number_raw)), '[\\s\\-]', '', 'g')) END AS idc,
    CASE WHEN phone_raw IS NULL OR ph(phone_raw) THEN NULL
         ELSE regexp_replace(fw(trim(phone_raw)), '[\\s\\-\\(\\)（）\\.]', '', 'g') END AS phc,
    CASE WHEN name_raw IS NULL OR ph(name_raw) THEN NULL
         ELSE regexp_replace(translate(regexp_replace(trim(fw(name_raw)), '\\s+', ' ', 'g'), '•‧・．･.', '······'),
                             '([\\x{{4e00}}-\\x{{9fff}}]) ([\\x{{4e00}}-\\x{{9fff}}])', '\\1\\2', 'g') END AS name_c,
    CASE WHEN address_raw IS NULL OR ph(address_raw) THEN NULL ELSE regexp_replace(fw(address_raw), '\\s', '', 'g') END AS address_c,
    CASE WHEN bank_card_raw IS NULL OR ph(bank_card_raw) THEN NULL ELSE regexp_replace(fw(bank_card_raw), '[\\s\\-]', '', 'g') END AS bank_card_c,
    CASE WHEN email_raw IS NULL OR ph(email_raw) THEN NULL ELSE trim(fw(email_raw)) END AS email_c
  FROM read_parquet('{{raw}}')
), u AS (
  SELECT *,
    CASE WHEN regexp_full_match(idc, '[0-9]{{15}}') THEN substr(idc, 1, 6) || '19' || substr(idc, 7, 9)
                                                      || check_char(substr(idc, 1, 6) || '19' || substr(idc, 7, 9))
         ELSE idc END AS id_number,
    CASE WHEN regexp_full_match(phc, '\\+861[0-9]{{10}}') THEN substr(phc, 4)
         WHEN regexp_full_match(phc, '00861[0-9]{{10}}') THEN substr(phc, 5)
         WHEN regexp_full_match(phc, '861[0-9]{{10}}') THEN substr(phc, 3)
         WHEN regexp_full_match(phc, '(17951|12593|17911|10193|11808)1[0-9]{{10}}') THEN substr(phc, 6)
         WHEN regexp_full_match(phc, '01[0-9]{{10}}') THEN substr(phc, 2)
         ELSE phc END AS phone_national
  FROM c
)
SELECT record_id, item_path, sheet, line_number,
  name_c AS name, name_c AS name_key,
  id_number,
  CASE WHEN id_number IS NULL THEN 'missing'
       WHEN NOT regexp_full_match(id_number, '[0-9]{{17}}[0-9X]') THEN 'invalid'
       WHEN try_strptime(substr(id_number, 7, 8), '%Y%m%d') IS NULL THEN 'invalid'
       WHEN check_char(substr(id_number, 1, 17)) <> substr(id_number, 18, 1) THEN 'invalid'
       ELSE 'valid' END AS id_number_status,
  CASE WHEN phone_national IS NULL THEN NULL
       WHEN regexp_full_match(phone_national, '1(3[0-9]|4[5-9]|5[0-35-9]|6[25-7]|7[0-35-8]|8[0-9]|9[0-35-9])[0-9]{{8}}') THEN '+86' || phone_national
       WHEN regexp_full_match(phone_national, '0(10|2[0-9])[0-9]{{8}}|0[3-9][0-9]{{2}}[0-9]{{7,8}}') THEN '+86' || substr(phone_national, 2)
       ELSE phone_national END AS phone,
  address_c AS address, bank_card_c AS bank_card,
  CASE WHEN email_c LIKE '%@%' THEN split_part(email_c, '@', 1) || '@' || lower(split_part(email_c, '@', 2)) ELSE email_c END AS email
FROM u;
COPY records TO '{{records_out}}' (FORMAT parquet);
"""

DEDUP_SQL = """
CREATE OR REPLACE TABLE keyed AS
SELECT *, sha256(concat_ws(chr(31), coalesce(name_key, chr(0)), coalesce(id_number, chr(0)), coalesce(phone, chr(0)),
                          coalesce(address, chr(0)), coalesce(bank_card, chr(0)), coalesce(email, chr(0)))) AS content_key,
       row_number() OVER (PARTITION BY content_key ORDER BY item_path, sheet, line_number, record_id) AS rn
FROM read_parquet('{records}');
COPY (SELECT * EXCLUDE (rn) FROM keyed WHERE rn = 1) TO '{unique_out}' (FORMAT parquet);
COPY (SELECT record_id, content_key FROM keyed WHERE rn > 1) TO '{links_out}' (FORMAT parquet);
"""


def run_baseline(raw_parquet: str, out_dir: Path, threads: int | None = None) -> dict:
    """Run the baseline; return wall seconds and row counts per step.

    Args:
        raw_parquet: glob of the intake stage's committed ``raw_records`` Parquet files.
        out_dir: where the baseline writes its own Parquet outputs.
        threads: DuckDB threads (default: all cores, like Spark ``local[*]``).
    """
    import duckdb

    out_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    records_out = str(out_dir / "records.parquet")
    t0 = time.perf_counter()
    con.execute(NORMALIZE_SQL.replace("{raw}", raw_parquet).replace("{records_out}", records_out))
    t1 = time.perf_counter()
    n_records = con.execute(f"SELECT count(*) FROM read_parquet('{records_out}')").fetchone()[0]
    t2 = time.perf_counter()
    con.execute(DEDUP_SQL.format(records=records_out, unique_out=str(out_dir / "unique.parquet"), links_out=str(out_dir / "links.parquet")))
    t3 = time.perf_counter()
    n_unique = con.execute(f"SELECT count(*) FROM read_parquet('{out_dir / 'unique.parquet'}')").fetchone()[0]
    return {"normalize": {"seconds": round(t1 - t0, 3), "records": n_records},
            "deduplicate": {"seconds": round(t3 - t2, 3), "unique_records": n_unique, "duplicates": n_records - n_unique},
            "duckdb_version": duckdb.__version__}
