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
    python reference.py same <lake dir> <file.parquet> [path,...]  (the first events, every column)

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
# Events compared column by column between two sides (`same`).
SAMPLE = 50_000
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


# Our mapper's connection table (`ocsf-mappers` linux/connections.rs): one
# correlation uid per sshd pid, from the time of its first line; the table
# is emptied when it holds this many pids (none of these messages ends a
# connection, so none is closed first).
MAX_TRACKED = 16_384
CONNECTIONS = {}


def correlation_uid(host: str, pid: int, time_ms: int) -> str:
    if len(CONNECTIONS) >= MAX_TRACKED:
        CONNECTIONS.clear()
    start = CONNECTIONS.setdefault((host, pid), time_ms)
    return f"{host}:sshd[{pid}]:{start}"


def observable(name: str, kind: str, type_id: int, value: str) -> dict:
    return {"name": name, "type": kind, "type_id": type_id, "value": value}


def to_ocsf(line: str):
    """One OCSF 1.1.0 Authentication dict for an sshd line, or None: the
    attributes our Linux mapper fills for these messages, with its values."""
    m = SYSLOG.match(line)
    if m is None or m["program"] != "sshd":
        return None
    msg = m["message"]
    activity_id, activity_name, type_uid = 1, "Logon", 300201
    method, proto, key = None, None, None
    if (a := ACCEPTED.match(msg)) is not None:
        status_id, detail = 1, f"Accepted {a['method']}"
        user, ip, port, method, proto = a["user"], a["ip"], a["port"], a["method"], a["proto"]
        if a["fingerprint"]:
            key = (a["key_type"], a["fingerprint"])
    elif (a := FAILED.match(msg)) is not None:
        status_id = 2
        detail = f"Failed {a['method']}" + (" for invalid user" if a["invalid"] else "")
        user, ip, port, method, proto = a["user"], a["ip"], a["port"], a["method"], a["proto"]
    elif (a := INVALID.match(msg)) is not None:
        status_id, detail = 2, "Invalid user"
        activity_id, activity_name, type_uid = 99, "Invalid User", 300299
        user, ip, port = a["user"], a["ip"], a["port"]
    else:
        return None
    host, pid = m["host"], int(m["pid"])
    time_ms = epoch_ms(m["month"], m["day"], m["clock"])
    observables = [
        observable("user.name", "User Name", 4, user),
        observable("device.hostname", "Hostname", 1, host),
        observable("src_endpoint.ip", "IP Address", 2, ip),
        observable("dst_endpoint.hostname", "Hostname", 1, host),
        observable("actor.process.name", "Process Name", 9, "sshd"),
    ]
    unmapped = None
    if proto:
        unmapped = {"protocol": proto}
        if key is not None:
            unmapped["ssh_key"] = json.dumps(
                {"type": key[0], "fingerprint": key[1]}, separators=(",", ":")
            )
            observables.append(
                observable("unmapped.ssh_key.fingerprint", "Fingerprint", 30, key[1])
            )
    return {
        "activity_id": activity_id,
        "activity_name": activity_name,
        "category_uid": 3,
        "category_name": "Identity & Access Management",
        "class_uid": 3002,
        "class_name": "Authentication",
        "type_uid": type_uid,
        "type_name": f"Authentication: {activity_name}",
        "severity_id": status_id,
        "severity": "Informational" if status_id == 1 else "Low",
        "status_id": status_id,
        "status": "Success" if status_id == 1 else "Failure",
        "status_detail": detail,
        "time": time_ms,
        "timezone_offset": 0,
        "raw_data": line,
        "auth_protocol": method,
        "auth_protocol_id": 99 if method else None,
        "logon_type_id": 10,
        "logon_type": "Remote Interactive",
        "is_remote": True,
        "service": {"name": "sshd"},
        "metadata": {
            "version": "1.1.0",
            "log_name": "auth.log",
            "log_provider": "sshd",
            "correlation_uid": correlation_uid(host, pid, time_ms),
            "profiles": ["host"],
            "product": {"name": "Linux", "vendor_name": "Linux"},
        },
        "device": {"hostname": host, "type": "Unknown", "type_id": 0},
        "user": {"name": user},
        "src_endpoint": {"ip": ip, "port": int(port)},
        "dst_endpoint": {"hostname": host, "svc_name": "ssh"},
        "actor": {"process": {"pid": pid, "name": "sshd"}},
        "observables": observables,
        "unmapped": unmapped,
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
    files = parquet_files(path)
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


def parquet_files(path: str) -> list:
    if os.path.isdir(path):
        return sorted(
            os.path.join(d, f) for d, _, names in os.walk(path) for f in names if f.endswith(".parquet")
        )
    return [path]


def same(ours: str, other: str, ignore=(), sample: int = SAMPLE) -> dict:
    """Compares the first `sample` events (by time) of two sides row by row,
    every column but the dotted paths in `ignore`: the events written are the
    same, not only their count."""
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    times = pq.read_table(other, columns=["time"])["time"]
    if len(times) == 0:
        return {"step": "same", "rows": 0, "differ": 0, "seconds": 0.0}
    # Every event before the time of the `sample`-th one (ties kept whole).
    ordered = pc.sort_indices(times)
    cut = times.take(ordered.slice(min(sample, len(times) - 1), 1))[0].as_py()
    cut = cut + 1 if len(times) <= sample else cut

    def rows(path):
        table = ds.dataset(parquet_files(path), format="parquet").to_table(filter=ds.field("time") < cut)
        out = table.to_pylist()
        for row in out:
            for dotted in ignore:
                *parents, leaf = dotted.split(".")
                node = row
                for name in parents:
                    node = node.get(name) or {}
                node.pop(leaf, None)
        out.sort(key=lambda r: (r["time"], r["raw_data"]))
        return out

    a, b = rows(ours), rows(other)
    differ = sum(1 for x, y in zip(a, b) if x != y) + abs(len(a) - len(b))
    first = next(
        ({k: (x[k], y.get(k)) for k in x if x[k] != y.get(k)} for x, y in zip(a, b) if x != y), None
    )
    return {
        "step": "same",
        "rows": min(len(a), len(b)),
        "differ": differ,
        "first_difference": repr(first)[:400] if first else None,
        "seconds": 0.0,
    }


def main() -> None:
    if len(sys.argv) in (4, 5) and sys.argv[1] == "write":
        result = write(*sys.argv[2:])
    elif len(sys.argv) == 3 and sys.argv[1] == "read":
        result = read(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "describe":
        result = describe(sys.argv[2])
    elif len(sys.argv) in (4, 5) and sys.argv[1] == "same":
        result = same(sys.argv[2], sys.argv[3], sys.argv[4].split(",") if len(sys.argv) == 5 else ())
    else:
        sys.exit(
            "usage: reference.py write <auth.log> <out.parquet> [<schema.parquet>] | read <file.parquet>"
            " | describe <file.parquet or dir> | same <lake dir> <file.parquet> [ignored,paths]"
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
