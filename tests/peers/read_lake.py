"""Interop peer: read a Settle lake with DuckDB and polars.

Usage: python3 read_lake.py LAKE_DIR SPEC_JSON
SPEC_JSON maps table name -> list of integer money columns to sum.
Prints {"duckdb": {table: {"rows": n, "sums": {col: s}}}, "polars": {...}}.
Tables are read hive-partitioned (date=YYYY-MM-DD folders) when partitioned.
"""
import json
import os
import sys

import duckdb
import polars as pl

lake, spec = sys.argv[1], json.loads(sys.argv[2])


def pattern(table):
    root = os.path.join(lake, table)
    partitioned = any(d.startswith("date=") for d in os.listdir(root))
    return (os.path.join(root, "*", "*.parquet") if partitioned else os.path.join(root, "*.parquet")), partitioned


out = {"duckdb": {}, "polars": {}}
con = duckdb.connect()
for table, cols in spec.items():
    glob, hive = pattern(table)
    rel = f"read_parquet('{glob}', hive_partitioning={'true' if hive else 'false'})"
    rows = con.execute(f"SELECT COUNT(*) FROM {rel}").fetchone()[0]
    sums = {c: int(con.execute(f"SELECT COALESCE(SUM({c}), 0) FROM {rel}").fetchone()[0]) for c in cols}
    if hive:
        # The partition column is readable and holds dates.
        con.execute(f"SELECT MIN(date), MAX(date) FROM {rel}").fetchone()
    out["duckdb"][table] = {"rows": rows, "sums": sums}

    frame = pl.scan_parquet(glob, hive_partitioning=hive)
    rows = frame.select(pl.len()).collect().item()
    sums = {c: int(frame.select(pl.col(c).sum()).collect().item() or 0) for c in cols}
    out["polars"][table] = {"rows": rows, "sums": sums}
print(json.dumps(out))
