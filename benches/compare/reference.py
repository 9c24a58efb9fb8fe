"""The Python reference pipeline of the side-by-side harness, written for this
project in the style of the usual Python Security Lake integrations: a regex
per sshd message, one OCSF Authentication dict per line, pyarrow
`Table.from_pylist` and ZSTD Parquet (level 3, as ours); given a schema file
the tables take the columns the Rust side writes (the sshd mapper's declared
projection of Authentication), otherwise the schema is inferred from the
dicts. The regexes are `sshd_patterns.py`, shared with the DuckDB peer; the
read side turns the Parquet back into Python rows with `to_pylist`.

    python reference.py write <auth.log> <out.parquet> [<schema.parquet>]
    python reference.py read <file.parquet>
    python reference.py describe <file.parquet or directory>

Rows are converted and written in chunks of 10,000 (one row group each), as
a tailer would, so memory stays bounded. Each command prints one JSON object
with the same fields as the Rust steps (`benches/compare/main.rs`).
"""

import calendar
import json
import os
import re
import sys
import time

import pyarrow as pa
import pyarrow.parquet as pq

import sshd_patterns

CHUNK = 10_000
YEAR = sshd_patterns.YEAR
# The codec level of every side (ours: `ParquetRules::ZSTD_LEVEL`).
ZSTD_LEVEL = 3

SYSLOG = re.compile(sshd_patterns.SYSLOG)
ACCEPTED = re.compile(sshd_patterns.ACCEPTED)
FAILED = re.compile(sshd_patterns.FAILED)
INVALID = re.compile(sshd_patterns.INVALID)

MONTHS = {m: i for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1)}


def epoch_ms(month: str, day: str, clock: str) -> int:
    hh, mm, ss = (int(x) for x in clock.split(":"))
    return calendar.timegm((YEAR, MONTHS[month], int(day), hh, mm, ss, 0, 0, 0)) * 1000


def to_ocsf(line: str):
    """One OCSF 1.1.0 Authentication dict for an sshd line, or None."""
    m = SYSLOG.match(line)
    if m is None or m["program"] != "sshd":
        return None
    msg = m["message"]
    detail, method, proto = None, None, None
    if (a := ACCEPTED.match(msg)) is not None:
        status_id, severity_id, detail = 1, 1, f"Accepted {a['method']}"
        user, ip, port, method, proto = a["user"], a["ip"], a["port"], a["method"], a["proto"]
    elif (a := FAILED.match(msg)) is not None:
        status_id, severity_id = 2, 2
        detail = f"Failed {a['method']}" + (" for invalid user" if a["invalid"] else "")
        user, ip, port, method, proto = a["user"], a["ip"], a["port"], a["method"], a["proto"]
    elif (a := INVALID.match(msg)) is not None:
        status_id, severity_id, detail = 2, 2, "Invalid user"
        user, ip, port = a["user"], a["ip"], a["port"]
    else:
        return None
    return {
        "activity_id": 1,
        "activity_name": "Logon",
        "category_uid": 3,
        "category_name": "Identity & Access Management",
        "class_uid": 3002,
        "class_name": "Authentication",
        "type_uid": 300201,
        "type_name": "Authentication: Logon",
        "severity_id": severity_id,
        "severity": "Informational" if severity_id == 1 else "Low",
        "status_id": status_id,
        "status": "Success" if status_id == 1 else "Failure",
        "status_detail": detail,
        "time": epoch_ms(m["month"], m["day"], m["clock"]),
        "message": msg,
        "raw_data": line,
        "auth_protocol": method,
        "logon_type_id": 10,
        "logon_type": "Remote Interactive",
        "is_remote": True,
        "service": {"name": "sshd"},
        "metadata": {
            "version": "1.1.0",
            "log_name": "auth.log",
            "product": {"name": "sshd", "vendor_name": "OpenBSD"},
        },
        "user": {"name": user},
        "src_endpoint": {"ip": ip, "port": int(port)},
        "dst_endpoint": {"hostname": m["host"], "svc_name": "ssh"},
        "actor": {"process": {"pid": int(m["pid"]), "name": "sshd"}},
        "unmapped": {"protocol": proto} if proto else None,
    }


def write(log: str, out: str, schema_file=None) -> dict:
    """The log to Parquet. With `schema_file` (a Parquet file holding the
    schema the Rust side writes, `compare schema`), the tables take that
    schema: the same columns as ours, the ones no dict fills null. Without
    it, the schema is inferred from the first chunk's dicts."""
    schema = pq.read_schema(schema_file) if schema_file else None
    started = time.perf_counter()
    rows, writer = [], None
    lines = events = input_bytes = 0

    def flush():
        nonlocal writer, schema
        if not rows:
            return
        table = pa.Table.from_pylist(rows, schema=schema)
        if writer is None:
            schema = table.schema
            writer = pq.ParquetWriter(
                out, schema, compression="zstd", compression_level=ZSTD_LEVEL
            )
        writer.write_table(table)
        rows.clear()

    with open(log, "r", encoding="utf-8") as f:
        for line in f:
            lines += 1
            input_bytes += len(line)
            event = to_ocsf(line.rstrip("\n"))
            if event is not None:
                rows.append(event)
                events += 1
                if len(rows) >= CHUNK:
                    flush()
    flush()
    if writer is not None:
        writer.close()
    seconds = time.perf_counter() - started
    return {
        "step": "python-write",
        "lines": lines,
        "input_bytes": input_bytes,
        "events": events,
        "output_bytes": os.path.getsize(out) if writer is not None else 0,
        "seconds": seconds,
    }


def read(path: str) -> dict:
    started = time.perf_counter()
    events = raw_bytes = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=CHUNK):
        for row in batch.to_pylist():
            events += 1
            raw_bytes += len(row.get("raw_data") or "")
    seconds = time.perf_counter() - started
    return {
        "step": "python-read",
        "input_bytes": os.path.getsize(path),
        "events": events,
        "raw_bytes": raw_bytes,
        "seconds": seconds,
    }


def leaf_path(path: str) -> str:
    """A leaf's dotted path without the list and map levels, whose names
    differ between writers (`list.element`, `list.item`, `key_value`)."""
    parts = path.split(".")
    out, i = [], 0
    while i < len(parts):
        if parts[i] in ("list", "key_value") and i + 1 < len(parts) and i > 0:
            # `x.list.element` / `x.key_value.key`: keep the leaf's own name
            # only for maps (key, value); lists end at the list.
            if parts[i] == "key_value":
                out.append(parts[i + 1])
            i += 2
            continue
        out.append(parts[i])
        i += 1
    return ".".join(out)


def describe(path: str) -> dict:
    """The shape of what a side wrote: files, top-level and leaf columns, row
    groups and bytes (every `.parquet` file under a directory)."""
    if os.path.isdir(path):
        files = sorted(
            os.path.join(d, f) for d, _, names in os.walk(path) for f in names if f.endswith(".parquet")
        )
    else:
        files = [path]
    top, leaves, row_groups, rows, size = set(), set(), 0, 0, 0
    for f in files:
        meta = pq.ParquetFile(f).metadata
        top.update(meta.schema.to_arrow_schema().names)
        leaves.update(leaf_path(meta.schema.column(i).path) for i in range(meta.num_columns))
        row_groups += meta.num_row_groups
        rows += meta.num_rows
        size += os.path.getsize(f)
    return {
        "step": "describe",
        "files": len(files),
        "top_level_columns": len(top),
        "leaf_columns": len(leaves),
        "leaf_paths": sorted(leaves),
        "row_groups": row_groups,
        "rows": rows,
        "bytes": size,
        "seconds": 0.0,
    }


def main() -> None:
    if len(sys.argv) in (4, 5) and sys.argv[1] == "write":
        result = write(*sys.argv[2:])
    elif len(sys.argv) == 3 and sys.argv[1] == "read":
        result = read(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "describe":
        result = describe(sys.argv[2])
    else:
        sys.exit(
            "usage: reference.py write <auth.log> <out.parquet> [<schema.parquet>] | read <file.parquet>"
            " | describe <file.parquet or dir>"
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
