"""The DuckDB peer of the side-by-side harness: the same regex extraction as
the Python reference (the patterns of `sshd_patterns.py`, run by DuckDB's
RE2 engine), done in SQL into the same OCSF Authentication struct columns
as the other sides, written as ZSTD Parquet by DuckDB's own writer
(`COPY ... TO ... (FORMAT parquet, COMPRESSION zstd)`).

    python duckdb_peer.py write <auth.log> <out.parquet> <schema.parquet>

`schema.parquet` is the empty file of the columns every side writes
(`compare schema`: the sshd mapper's declared projection of Authentication).
The SELECT is generated from it before the clock starts: a column or struct
field the extraction fills is that expression cast to the column's type;
every other one is the typed NULL of a row of the schema file joined on
false, so DuckDB writes the same leaf columns, nulls included. Only SQL
text is built in Python; every line is handled by DuckDB's engine.

The log is read as one VARCHAR column (no quoting, no escapes, a delimiter
that never occurs in a log line), so every line is one row, as a tailer sees
it. Prints one JSON object with the same fields as the other write steps.
"""

import json
import os
import sys
import time

import duckdb

import sshd_patterns as P

# The codec level of every side (ours: `ParquetRules::ZSTD_LEVEL`).
ZSTD_LEVEL = 3


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def extract(column: str, pattern: str) -> str:
    """`regexp_extract` of every named group of `pattern` into a struct."""
    names = ", ".join(sql_string(n) for n in P.group_names(pattern))
    return f"regexp_extract({column}, {sql_string(pattern)}, [{names}])"


# What the extraction fills, by dotted column path: the values of
# reference.py's `to_ocsf` dict, as SQL over the `facts` relation below
# (whose columns start with `x_`, apart from any column of the schema).
FILLED = {
    "activity_id": "CASE WHEN x_invalid THEN 99 ELSE 1 END",
    "activity_name": "CASE WHEN x_invalid THEN 'Invalid User' ELSE 'Logon' END",
    "category_uid": "3",
    "category_name": "'Identity & Access Management'",
    "class_uid": "3002",
    "class_name": "'Authentication'",
    "type_uid": "CASE WHEN x_invalid THEN 300299 ELSE 300201 END",
    "type_name": "CASE WHEN x_invalid THEN 'Authentication: Invalid User' ELSE 'Authentication: Logon' END",
    "severity_id": "x_status",
    "severity": "CASE WHEN x_status = 1 THEN 'Informational' ELSE 'Low' END",
    "status_id": "x_status",
    "status": "CASE WHEN x_status = 1 THEN 'Success' ELSE 'Failure' END",
    "status_detail": "x_detail",
    "time": "x_stamp",
    "timezone_offset": "0",
    "raw_data": "x_line",
    "auth_protocol": "x_method",
    "auth_protocol_id": "CASE WHEN x_method IS NOT NULL THEN 99 END",
    "logon_type_id": "10",
    "logon_type": "'Remote Interactive'",
    "is_remote": "true",
    "service.name": "'sshd'",
    "metadata.version": "'1.1.0'",
    "metadata.log_name": "'auth.log'",
    "metadata.log_provider": "'sshd'",
    # Our mapper's connection uid: the pid's first time (a window over the
    # pid; ours also forgets its table every 16,384 pids, which this does not).
    "metadata.correlation_uid": (
        "x_s.host || ':sshd[' || x_s.pid || ']:' || "
        "epoch_ms(min(x_stamp) OVER (PARTITION BY x_s.host, x_s.pid))"
    ),
    "metadata.profiles": "['host']",
    "metadata.product.name": "'Linux'",
    "metadata.product.vendor_name": "'Linux'",
    "device.hostname": "x_s.host",
    "device.type": "'Unknown'",
    "device.type_id": "0",
    "user.name": "x_user",
    "src_endpoint.ip": "x_ip",
    "src_endpoint.port": "x_port",
    "dst_endpoint.hostname": "x_s.host",
    "dst_endpoint.svc_name": "'ssh'",
    "actor.process.pid": "x_s.pid",
    "actor.process.name": "'sshd'",
    "observables": (
        "list_concat(["
        "struct_pack(name := 'user.name', type := 'User Name', type_id := 4, value := x_user), "
        "struct_pack(name := 'device.hostname', type := 'Hostname', type_id := 1, value := x_s.host), "
        "struct_pack(name := 'src_endpoint.ip', type := 'IP Address', type_id := 2, value := x_ip), "
        "struct_pack(name := 'dst_endpoint.hostname', type := 'Hostname', type_id := 1, value := x_s.host), "
        "struct_pack(name := 'actor.process.name', type := 'Process Name', type_id := 9, value := 'sshd')], "
        "CASE WHEN x_fingerprint IS NOT NULL THEN [struct_pack(name := 'unmapped.ssh_key.fingerprint', "
        "type := 'Fingerprint', type_id := 30, value := x_fingerprint)] ELSE [] END)"
    ),
    "unmapped": (
        "CASE WHEN x_proto IS NULL THEN NULL "
        "WHEN x_fingerprint IS NULL THEN MAP(['protocol'], [x_proto]) "
        "ELSE MAP(['protocol', 'ssh_key'], [x_proto, "
        "'{\"type\":\"' || x_key_type || '\",\"fingerprint\":\"' || x_fingerprint || '\"}']) END"
    ),
}

FACTS = f"""
  lines AS (
    SELECT line FROM read_csv(
      $log, columns = {{'line': 'VARCHAR'}}, header = false, delim = '\x1f',
      quote = '', escape = '', auto_detect = false, strict_mode = false)
  ),
  syslog AS (
    SELECT line, {extract("line", P.SYSLOG)} AS s
    FROM lines
    WHERE regexp_matches(line, {sql_string(P.SYSLOG)})
  ),
  sshd AS (
    SELECT line, s,
           {extract("s.message", P.ACCEPTED)} AS a,
           regexp_matches(s.message, {sql_string(P.ACCEPTED)}) AS is_a,
           {extract("s.message", P.FAILED)} AS f,
           regexp_matches(s.message, {sql_string(P.FAILED)}) AS is_f,
           {extract("s.message", P.INVALID)} AS i,
           regexp_matches(s.message, {sql_string(P.INVALID)}) AS is_i
    FROM syslog
    WHERE s.program = 'sshd'
  ),
  facts AS (
    SELECT line AS x_line, s AS x_s,
      CASE WHEN is_a THEN 1 ELSE 2 END AS x_status,
      CASE WHEN is_a THEN 'Accepted ' || a.method
           WHEN is_f THEN 'Failed ' || f.method || CASE WHEN f.invalid <> '' THEN ' for invalid user' ELSE '' END
           ELSE 'Invalid user' END AS x_detail,
      CASE WHEN is_a THEN a.user WHEN is_f THEN f.user ELSE i.user END AS x_user,
      CASE WHEN is_a THEN a.ip WHEN is_f THEN f.ip ELSE i.ip END AS x_ip,
      CASE WHEN is_a THEN a.port WHEN is_f THEN f.port ELSE i.port END AS x_port,
      CASE WHEN is_a THEN a.method WHEN is_f THEN f.method END AS x_method,
      CASE WHEN is_a THEN a.proto WHEN is_f THEN f.proto END AS x_proto,
      NOT is_a AND NOT is_f AS x_invalid,
      CASE WHEN is_a AND a.fingerprint <> '' THEN a.key_type END AS x_key_type,
      CASE WHEN is_a AND a.fingerprint <> '' THEN a.fingerprint END AS x_fingerprint,
      strptime('{P.YEAR} ' || s.month || ' ' || s.day || ' ' || s.clock, '%Y %b %d %H:%M:%S') AS x_stamp
    FROM sshd
    WHERE is_a OR is_f OR is_i
  )"""


def schema_tree(con, schema_file: str) -> list:
    """The columns of `schema_file` as (name, children) pairs, children None
    for a leaf or a list (lists are never filled here)."""
    rows = con.execute(
        "SELECT name, num_children, logical_type FROM parquet_schema($f)", {"f": schema_file}
    ).fetchall()
    position = 0

    def node():
        nonlocal position
        name, count, logical = rows[position]
        position += 1
        children = [node() for _ in range(count or 0)]
        if not children or (logical is not None and ("List" in logical or "Map" in logical)):
            children = None
        return name, children

    root = node()
    return root[1]


def column_types(con, schema_file: str, paths) -> dict:
    """The DuckDB type of each dotted path of `schema_file`."""
    select = ", ".join(
        ".".join(["z"] + [ident(p) for p in path.split(".")]) + f" AS {ident(path)}"
        for path in paths
    )
    described = con.execute(
        f"DESCRIBE SELECT {select} FROM read_parquet({sql_string(schema_file)}) z"
    ).fetchall()
    return {row[0]: row[1] for row in described}


def leaf_expr(path: str, expr: str, duck_type: str) -> str:
    if path == "time":
        # DuckDB writes a TIMESTAMP WITH TIME ZONE in microseconds; TIMESTAMP_MS
        # keeps ours' milliseconds (without the UTC flag, which DuckDB cannot
        # set on it). An integer column gets the epoch milliseconds.
        if "TIMESTAMP" in duck_type:
            return f"CAST({expr} AS TIMESTAMP_MS)"
        return f"CAST(epoch_ms({expr}) AS {duck_type})"
    return f"CAST({expr} AS {duck_type})"


def select_list(tree: list, types: dict) -> str:
    """The SELECT list in the schema's column order."""

    def column(prefix: list, name: str, children) -> str:
        path = ".".join(prefix + [name])
        if path in FILLED:
            return leaf_expr(path, FILLED[path], types[path])
        if children and any(p.startswith(path + ".") for p in FILLED):
            fields = ", ".join(
                f"{ident(n)} := {column(prefix + [name], n, c)}" for n, c in children
            )
            return f"struct_pack({fields})"
        # Not filled: the typed NULL of the joined empty row.
        return ".".join(["z"] + [ident(p) for p in prefix + [name]])

    return ",\n    ".join(f"{column([], n, c)} AS {ident(n)}" for n, c in tree)


def query(con, schema_file: str, out: str) -> str:
    tree = schema_tree(con, schema_file)
    types = column_types(con, schema_file, FILLED)
    return (
        f"COPY (\n  WITH {FACTS}\n  SELECT\n    {select_list(tree, types)}\n"
        f"  FROM facts LEFT JOIN read_parquet({sql_string(schema_file)}) z ON false\n"
        f") TO {sql_string(out)} "
        f"(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL {ZSTD_LEVEL})"
    )


def write(log: str, out: str, schema_file: str) -> dict:
    """Runs the extraction and the Parquet write; the figures of the step."""
    con = duckdb.connect()
    sql = query(con, schema_file, out)
    started = time.perf_counter()
    con.execute(sql, {"log": log})
    seconds = time.perf_counter() - started
    events = con.execute("SELECT count(*) FROM read_parquet($p)", {"p": out}).fetchone()[0]
    # Lines and bytes of the log, outside the timed part (the other steps
    # count them while reading; DuckDB does not expose them).
    lines = input_bytes = 0
    with open(log, "r", encoding="utf-8") as f:
        for line in f:
            lines += 1
            input_bytes += len(line)
    return {
        "step": "duckdb-write",
        "lines": lines,
        "input_bytes": input_bytes,
        "events": events,
        "output_bytes": os.path.getsize(out),
        "files": 1,
        "seconds": seconds,
    }


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "write":
        result = write(*sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "sql":
        con = duckdb.connect()
        print(query(con, sys.argv[2], sys.argv[3]))
        return
    else:
        sys.exit(
            "usage: duckdb_peer.py write <auth.log> <out.parquet> <schema.parquet>"
            " | sql <schema.parquet> <out.parquet>"
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
