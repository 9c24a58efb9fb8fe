"""The DuckDB peer of the side-by-side harness: the same regex extraction as
the Python reference (`reference.py`), done by DuckDB's vectorized engine
into the same OCSF Authentication struct columns, written as ZSTD Parquet by
DuckDB's own writer (`COPY ... TO ... (FORMAT parquet, COMPRESSION zstd)`).

    python duckdb_peer.py write <auth.log> <out.parquet>

Prints one JSON object with the same fields as the other write steps. The
log is read as one VARCHAR column (no quoting, no escapes, a delimiter that
never occurs in a log line), so every line is one row, as a tailer sees it.
"""

import json
import os
import sys
import time

import duckdb

# The same expressions as reference.py, in RE2 syntax (DuckDB's regex engine).
SYSLOG = (
    r"^([A-Z][a-z]{2}) +(\d{1,2}) (\d\d:\d\d:\d\d) (\S+) ([\w.-]+)\[(\d+)\]: (.*)$"
)
ACCEPTED = r"^Accepted (\S+) for (\S+) from (\S+) port (\d+) (\w+)"
FAILED = r"^Failed (\S+) for (invalid user )?(\S+) from (\S+) port (\d+) (\w+)"
INVALID = r"^Invalid user (\S*) from (\S+) port (\d+)"
YEAR = 2024

QUERY = f"""
COPY (
  WITH lines AS (
    SELECT line FROM read_csv(
      $log, columns = {{'line': 'VARCHAR'}}, header = false, delim = '\x1f',
      quote = '', escape = '', auto_detect = false, strict_mode = false)
  ),
  syslog AS (
    SELECT line,
           regexp_extract(line, '{SYSLOG}', ['month', 'day', 'clock', 'host', 'program', 'pid', 'message']) AS s
    FROM lines
    WHERE regexp_matches(line, '{SYSLOG}')
  ),
  sshd AS (
    SELECT line, s,
           regexp_extract(s.message, '{ACCEPTED}', ['method', 'user', 'ip', 'port', 'proto']) AS a,
           regexp_matches(s.message, '{ACCEPTED}') AS is_a,
           regexp_extract(s.message, '{FAILED}', ['method', 'invalid', 'user', 'ip', 'port', 'proto']) AS f,
           regexp_matches(s.message, '{FAILED}') AS is_f,
           regexp_extract(s.message, '{INVALID}', ['user', 'ip', 'port']) AS i,
           regexp_matches(s.message, '{INVALID}') AS is_i
    FROM syslog
    WHERE s.program = 'sshd'
  ),
  facts AS (
    SELECT line, s,
      CASE WHEN is_a THEN 1 ELSE 2 END AS status_id,
      CASE WHEN is_a THEN 'Accepted ' || a.method
           WHEN is_f THEN 'Failed ' || f.method || CASE WHEN f.invalid <> '' THEN ' for invalid user' ELSE '' END
           ELSE 'Invalid user' END AS detail,
      CASE WHEN is_a THEN a.user WHEN is_f THEN f.user ELSE i.user END AS user_name,
      CASE WHEN is_a THEN a.ip WHEN is_f THEN f.ip ELSE i.ip END AS ip,
      CAST(CASE WHEN is_a THEN a.port WHEN is_f THEN f.port ELSE i.port END AS BIGINT) AS port,
      CASE WHEN is_a THEN a.method WHEN is_f THEN f.method END AS method,
      CASE WHEN is_a THEN a.proto WHEN is_f THEN f.proto END AS proto
    FROM sshd
    WHERE is_a OR is_f OR is_i
  )
  SELECT
    CAST(1 AS BIGINT) AS activity_id,
    'Logon' AS activity_name,
    CAST(3 AS BIGINT) AS category_uid,
    'Identity & Access Management' AS category_name,
    CAST(3002 AS BIGINT) AS class_uid,
    'Authentication' AS class_name,
    CAST(300201 AS BIGINT) AS type_uid,
    'Authentication: Logon' AS type_name,
    CAST(status_id AS BIGINT) AS severity_id,
    CASE WHEN status_id = 1 THEN 'Informational' ELSE 'Low' END AS severity,
    CAST(status_id AS BIGINT) AS status_id,
    CASE WHEN status_id = 1 THEN 'Success' ELSE 'Failure' END AS status,
    detail AS status_detail,
    epoch_ms(strptime('{YEAR} ' || s.month || ' ' || s.day || ' ' || s.clock, '%Y %b %d %H:%M:%S')) AS time,
    s.message AS message,
    line AS raw_data,
    method AS auth_protocol,
    CAST(10 AS BIGINT) AS logon_type_id,
    'Remote Interactive' AS logon_type,
    true AS is_remote,
    {{'name': 'sshd'}} AS service,
    {{'version': '1.1.0', 'log_name': 'auth.log',
      'product': {{'name': 'sshd', 'vendor_name': 'OpenBSD'}}}} AS metadata,
    {{'name': user_name}} AS "user",
    {{'ip': ip, 'port': port}} AS src_endpoint,
    {{'hostname': s.host, 'svc_name': 'ssh'}} AS dst_endpoint,
    {{'process': {{'pid': CAST(s.pid AS BIGINT), 'name': 'sshd'}}}} AS actor,
    CASE WHEN proto IS NOT NULL THEN {{'protocol': proto}} END AS unmapped
  FROM facts
) TO '{{out}}' (FORMAT parquet, COMPRESSION zstd)
"""


def write(log: str, out: str) -> dict:
    """Runs the extraction and the Parquet write; the figures of the step."""
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute(QUERY.replace("{out}", out.replace("'", "''")), {"log": log})
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
    if len(sys.argv) == 4 and sys.argv[1] == "write":
        result = write(sys.argv[2], sys.argv[3])
    else:
        sys.exit("usage: duckdb_peer.py write <auth.log> <out.parquet>")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
