"""Independent readers of the Parquet files ocsf-model writes.

Usage: python independent_readers.py DIR

DIR holds `<class>.parquet` and `<class>.jsonl` pairs written by
`cargo run -p ocsf-model --features arrow --example write_corpus -- DIR`. For every pair:

* pyarrow reads the Parquet file; every row equals our JSON serialization of the same event
  (date-times compared as epoch milliseconds, `unmapped` maps as dicts, JSON-text columns parsed,
  32-bit floats with tolerance, null == absent);
* DuckDB reads it; row count and `time` / `class_uid` per row equal the JSON;
* DuckDB runs an analyst query on Authentication (failed logons per source IP per day) whose
  answer equals the same aggregation computed from the JSON lines;
* the Authentication file is no larger than 1.5x the same events written by pyarrow from JSON
  with an inferred schema (ZSTD).

Exits non-zero on any mismatch.
"""

import collections
import datetime
import json
import math
import os
import sys

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

FAILURES = []


def fail(message):
    FAILURES.append(message)
    print("MISMATCH:", message)


def to_ms(value):
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return int(round(value.timestamp() * 1000))
    return value


def parse_rfc3339_ms(text):
    dt = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int(round(dt.timestamp() * 1000))


def equal(ours, theirs, path):
    """Compares our JSON value with the value a reader returned; reports differences."""
    if theirs is None and ours is None:
        return
    if isinstance(theirs, datetime.datetime):
        if not isinstance(ours, str) or parse_rfc3339_ms(ours) != to_ms(theirs):
            fail(f"{path}: {ours!r} != {theirs!r}")
        return
    if isinstance(theirs, str) and isinstance(ours, (dict, list)):
        try:
            theirs = json.loads(theirs)
        except ValueError:
            fail(f"{path}: JSON text expected, got {theirs!r}")
            return
    if isinstance(ours, dict) and isinstance(theirs, list):
        # A Parquet MAP read by pyarrow: a list of (key, value) pairs.
        theirs = dict(theirs)
    if isinstance(ours, dict) and isinstance(theirs, dict):
        for key in set(ours) | set(theirs):
            equal(ours.get(key), theirs.get(key), f"{path}.{key}")
        return
    if isinstance(ours, list) and isinstance(theirs, list):
        if len(ours) != len(theirs):
            fail(f"{path}: {len(ours)} items != {len(theirs)}")
            return
        for i, (a, b) in enumerate(zip(ours, theirs)):
            equal(a, b, f"{path}[{i}]")
        return
    if isinstance(ours, float) or isinstance(theirs, float):
        if ours is None or theirs is None or not math.isclose(ours, theirs, rel_tol=1e-6):
            fail(f"{path}: {ours!r} != {theirs!r}")
        return
    if ours != theirs:
        fail(f"{path}: {ours!r} != {theirs!r}")


def check_class(directory, name):
    parquet_path = os.path.join(directory, f"{name}.parquet")
    events = [json.loads(line) for line in open(os.path.join(directory, f"{name}.jsonl"))]
    events.sort(key=lambda e: e["time"])  # the writer sorts by time (stably)

    table = pq.read_table(parquet_path)
    rows = table.to_pylist()
    if len(rows) != len(events):
        fail(f"{name}: pyarrow read {len(rows)} rows, expected {len(events)}")
    for i, (ours, theirs) in enumerate(zip(events, rows)):
        equal(ours, theirs, f"{name}[{i}]")
    schema = pq.ParquetFile(parquet_path).schema_arrow
    for field in schema:
        if pa.types.is_null(field.type):
            fail(f"{name}: column {field.name} is Null-typed")

    con = duckdb.connect()
    result = con.execute(
        f"SELECT time, class_uid FROM read_parquet('{parquet_path}')"
    ).fetchall()
    if len(result) != len(events):
        fail(f"{name}: DuckDB read {len(result)} rows, expected {len(events)}")
    for i, ((time, class_uid), ours) in enumerate(zip(result, events)):
        if time != ours["time"] or class_uid != ours["class_uid"]:
            fail(f"{name}[{i}]: DuckDB ({time}, {class_uid}) != ({ours['time']}, {ours['class_uid']})")
    print(f"{name}: {len(events)} rows equal in pyarrow and DuckDB ({table.num_columns} top-level columns)")
    return events


def analyst_query(directory, events):
    path = os.path.join(directory, "authentication.parquet")
    con = duckdb.connect()
    got = con.execute(
        f"""
        SELECT src_endpoint.ip AS ip,
               strftime(to_timestamp(time / 1000), '%Y-%m-%d') AS day,
               count(*) AS failures
        FROM read_parquet('{path}')
        WHERE status_id = 2
        GROUP BY ALL
        ORDER BY failures DESC, ip, day
        """
    ).fetchall()
    expected = collections.Counter()
    for e in events:
        if e.get("status_id") == 2:
            day = datetime.datetime.fromtimestamp(e["time"] / 1000, tz=datetime.timezone.utc).strftime("%Y-%m-%d")
            expected[(e["src_endpoint"]["ip"], day)] += 1
    want = sorted(((ip, day, n) for (ip, day), n in expected.items()), key=lambda r: (-r[2], r[0], r[1]))
    if [tuple(r) for r in got] != want:
        fail(f"analyst query: DuckDB {got[:5]} != expected {want[:5]}")
    print("failed logons per source IP per day (DuckDB), top 5:")
    for row in got[:5]:
        print("  ", row)


def size_check(directory, events):
    ours = os.path.getsize(os.path.join(directory, "authentication.parquet"))
    reference = os.path.join(directory, "authentication.pyarrow.parquet")
    pq.write_table(pa.Table.from_pylist(events), reference, compression="zstd")
    theirs = os.path.getsize(reference)
    ratio = ours / theirs
    print(f"authentication: {len(events)} events, ours {ours} bytes, pyarrow (inferred schema, ZSTD) {theirs} bytes, ratio {ratio:.2f}")
    if ratio > 1.5:
        fail(f"file size ratio {ratio:.2f} > 1.5")


def main():
    directory = sys.argv[1]
    for name in ["network_activity", "process_activity", "detection_finding"]:
        check_class(directory, name)
    auth = check_class(directory, "authentication")
    analyst_query(directory, auth)
    size_check(directory, auth)
    if FAILURES:
        print(f"{len(FAILURES)} mismatches")
        sys.exit(1)
    print("independent readers: all equal")


if __name__ == "__main__":
    main()
