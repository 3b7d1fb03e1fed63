"""Benchmark peer: DuckDB read_json -> COPY ... TO parquet (zstd) on one file.

Usage: python3 duckdb_json_to_parquet.py INPUT.jsonl OUTPUT.parquet THREADS
Prints one JSON object: {"seconds": ..., "rows": ..., "threads": ...}.
"""
import json
import sys
import time

import duckdb

src, dst, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
con = duckdb.connect()
con.execute(f"SET threads={threads}")
con.execute("SET enable_progress_bar=false")
started = time.perf_counter()
con.execute(
    "COPY (SELECT * FROM read_json(?, format='newline_delimited', maximum_object_size=16777216)) "
    f"TO '{dst}' (FORMAT parquet, COMPRESSION zstd)",
    [src],
)
seconds = time.perf_counter() - started
rows = con.execute("SELECT COUNT(*) FROM read_parquet(?)", [dst]).fetchone()[0]
print(json.dumps({"seconds": seconds, "rows": rows, "threads": threads}))
