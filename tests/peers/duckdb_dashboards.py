"""The DuckDB peer of `settle bench dashboards`: each dashboard's panel
queries (the same SQL files) over the same Parquet lake, with the same filter
values, timed per dashboard like Settle's side (a fresh connection and views
each run, as a served page opens a fresh session over the lake).

Usage: python3 -c SCRIPT SPEC.json; prints one JSON line:
{"dashboards": {NAME: [seconds per run]}, "rows": {NAME: [rows per query]},
 "errors": {NAME: why}}
SPEC: {"lake": DIR, "schemas": {"reports": [TABLE...], "lake": [...]},
       "views": [[NAME, SQL]], "dashboards": [[NAME, [SQL...]]],
       "params": {NAME: VALUE}, "runs": N, "threads": N}
"""

import json
import os
import re
import sys
import time

import duckdb

# format_money(minor, currency): exact major units, as Settle's UDF writes them.
FORMAT_MONEY = """
CREATE MACRO format_money(m, c) AS (
  CASE WHEN m IS NULL THEN NULL
       WHEN exponent_of(c) = 0 THEN CAST(m AS VARCHAR)
       ELSE (CASE WHEN m < 0 THEN '-' ELSE '' END)
            || CAST(abs(m) // CAST(pow(10, exponent_of(c)) AS BIGINT) AS VARCHAR) || '.'
            || lpad(CAST(abs(m) % CAST(pow(10, exponent_of(c)) AS BIGINT) AS VARCHAR),
                    exponent_of(c), '0')
  END)
"""
EXPONENT = """
CREATE MACRO exponent_of(c) AS (
  CASE WHEN c IN ('JPY', 'KRW', 'VND', 'CLP', 'XOF', 'XAF', 'ISK', 'UGX') THEN 0
       WHEN c IN ('KWD', 'BHD', 'OMR', 'JOD', 'TND', 'IQD', 'LYD') THEN 3
       ELSE 2 END)
"""


def connect(spec):
    con = duckdb.connect(config={"threads": spec["threads"]})
    con.execute(EXPONENT)
    con.execute(FORMAT_MONEY)
    for schema, tables in spec["schemas"].items():
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for t in tables:
            path = os.path.join(spec["lake"], t, "**", "*.parquet")
            con.execute(
                f"CREATE VIEW {schema}.{t} AS SELECT * FROM read_parquet('{path}', "
                "hive_partitioning = true, union_by_name = true)"
            )
    con.execute("SET search_path = 'reports,lake'")
    for name, sql in spec["views"]:
        con.execute(f"CREATE VIEW reports.{name} AS {strip_comments(sql)}")
    return con


def strip_comments(sql):
    return "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--"))


def run(con, sql, params):
    used = {k: v for k, v in params.items() if re.search(r"\$" + k + r"\b", sql)}
    return con.execute(strip_comments(sql), used).fetchall()


def main():
    spec = json.load(open(sys.argv[1]))
    out = {"dashboards": {}, "rows": {}, "errors": {}}
    for name, queries in spec["dashboards"]:
        times = []
        try:
            for _ in range(spec["runs"] + 1):
                started = time.perf_counter()
                con = connect(spec)
                counts = [len(run(con, sql, spec["params"])) for sql in queries]
                con.close()
                times.append(time.perf_counter() - started)
            out["dashboards"][name] = times[1:]  # the first run warms the OS cache
            out["rows"][name] = counts
        except Exception as e:  # noqa: BLE001: reported, not hidden
            out["errors"][name] = str(e).splitlines()[0]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
