"""The common Python subscriber path, for comparison with the `read_object`
example: read one Parquet object with pyarrow into Python rows.

    python benches/pyarrow_read.py <file.parquet>

Prints the rows, the elapsed time, rows per second and the peak resident set
size as one JSON object (the same fields as `read_object read`).
"""

import json
import resource
import sys
import time

import pyarrow.parquet as pq


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: pyarrow_read.py <file.parquet>")
    started = time.perf_counter()
    rows = pq.read_table(sys.argv[1]).to_pylist()
    message_bytes = sum(len(r.get("message") or "") for r in rows)
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "rows": len(rows),
                "message_bytes": message_bytes,
                "seconds": seconds,
                "events_per_second": len(rows) / seconds,
                "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            }
        )
    )


if __name__ == "__main__":
    main()
