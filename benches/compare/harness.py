"""Side-by-side harness: our pipeline, the Python reference, DuckDB and the arrow-rs
limit on the same generated sshd log, in one run. Standard library only (the
reference itself needs pyarrow). Started by `run.sh`, which builds the Rust
binary; see README.md.

    python harness.py --bin <compare-binary> [--python PY] [--work DIR] [--keep] [N ...]

Each step runs as its own process; its peak RSS comes from `wait4` (the
child's own `ru_maxrss`), its time from the step itself (process start-up and
interpreter imports excluded). Prints one Markdown table per size, a scaling
table, and writes every raw figure to `<work>/results.json`.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def run_step(argv: list, work: str) -> dict:
    """Runs one step; its JSON line plus `peak_rss_kib` and the load average."""
    out_path = os.path.join(work, "step.out")
    load_before = os.getloadavg()[0]
    with open(out_path, "w") as out:
        proc = subprocess.Popen(argv, stdout=out)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    with open(out_path) as out:
        text = out.read()
    if proc.returncode != 0:
        raise SystemExit(f"step failed ({proc.returncode}): {' '.join(argv)}\n{text}")
    lines = [l for l in text.splitlines() if l.startswith("{")]
    if not lines:
        raise SystemExit(f"step printed no result: {' '.join(argv)}\n{text}")
    result = json.loads(lines[-1])
    result["peak_rss_kib"] = usage.ru_maxrss
    result["load_avg_1m"] = round((load_before + os.getloadavg()[0]) / 2, 2)
    return result


def rate(result: dict, bytes_key: str):
    seconds = max(result["seconds"], 1e-9)
    return result["events"] / seconds, result[bytes_key] / 1e6 / seconds


def measure(n: int, args, work: str) -> dict:
    log = os.path.join(work, f"auth-{n}.log")
    lake = os.path.join(work, f"lake-{n}")
    py_parquet = os.path.join(work, f"python-{n}.parquet")
    limit_parquet = os.path.join(work, f"limit-{n}.parquet")
    duck_parquet = os.path.join(work, f"duckdb-{n}.parquet")
    # The columns every side writes (the sshd mapper's declared projection).
    schema = os.path.join(work, "schema.parquet")
    py = [args.python, os.path.join(HERE, "reference.py")]
    duck = [args.python, os.path.join(HERE, "duckdb_peer.py")]
    steps = {"gen": run_step([args.bin, "gen", log, str(n)], work)}
    declared = run_step([args.bin, "schema", schema], work)
    steps["ours-write"] = run_step([args.bin, "ours-write", log, lake], work)
    steps["python-write"] = run_step(py + ["write", log, py_parquet, schema], work)
    steps["duckdb-write"] = run_step(duck + ["write", log, duck_parquet, schema], work)
    steps["limit-write"] = run_step([args.bin, "limit-write", log, limit_parquet], work)
    steps["ours-read"] = run_step([args.bin, "ours-read", lake], work)
    steps["python-read"] = run_step(py + ["read", py_parquet], work)
    # Not a measured step: DuckDB's file read back by pyarrow for the checks.
    duck_read = run_step(py + ["read", duck_parquet], work)
    steps["limit-read"] = run_step([args.bin, "limit-read", limit_parquet], work)
    log_bytes = steps["gen"]["input_bytes"]
    # The limit's timed part does not read the log; its MB/s is of the log
    # the events came from, as for the two pipelines.
    steps["limit-write"]["log_bytes"] = log_bytes
    steps["ours-write"]["log_bytes"] = log_bytes
    steps["python-write"]["log_bytes"] = log_bytes
    steps["duckdb-write"]["log_bytes"] = log_bytes
    # What each side wrote: files, columns, row groups, bytes (read by pyarrow).
    shapes = {
        "ours": run_step(py + ["describe", lake], work),
        "python": run_step(py + ["describe", py_parquet], work),
        "duckdb": run_step(py + ["describe", duck_parquet], work),
        "limit": run_step(py + ["describe", limit_parquet], work),
    }
    counts = {k: v["events"] for k, v in steps.items() if "events" in v}
    counts.update({f"{k} rows": v["rows"] for k, v in shapes.items()})
    counts["duckdb read back"] = duck_read["events"]
    # The same events, column by column, on the first SAMPLE events of each
    # side against ours. DuckDB's connection uid is a window over the pid,
    # without our mapper's table limit: not compared (see duckdb_peer.py).
    same = {
        "python": run_step(py + ["same", lake, py_parquet], work),
        "duckdb": run_step(py + ["same", lake, duck_parquet, "metadata.correlation_uid"], work),
        "limit": run_step(py + ["same", lake, limit_parquet], work),
    }
    problems = []
    if len(set(counts.values())) != 1:
        problems.append(f"event counts differ: {counts}")
    raw = {
        "ours": steps["ours-read"]["raw_bytes"],
        "python": steps["python-read"]["raw_bytes"],
        "duckdb": duck_read["raw_bytes"],
    }
    if len(set(raw.values())) != 1:
        problems.append(f"raw_data bytes read differ: {raw}")
    for side, d in shapes.items():
        if d["leaf_paths"] != shapes["ours"]["leaf_paths"]:
            theirs, ours = set(d["leaf_paths"]), set(shapes["ours"]["leaf_paths"])
            problems.append(
                f"{side} writes other leaf columns than ours: "
                f"extra {sorted(theirs - ours)}, missing {sorted(ours - theirs)}"
            )
    for side, r in same.items():
        if r["differ"]:
            problems.append(
                f"{side}: {r['differ']} of the first {r['rows']} events differ from ours "
                f"(first: {r['first_difference']})"
            )
    if shapes["ours"]["leaf_columns"] != declared["leaf_columns"]:
        problems.append(
            f"ours writes {shapes['ours']['leaf_columns']} leaf columns, "
            f"the declared projection has {declared['leaf_columns']}"
        )
    for name in ("ours-write", "python-write", "duckdb-write"):
        if steps[name]["lines"] != n:
            problems.append(f"{name} read {steps[name]['lines']} of {n} lines")
    for d in shapes.values():
        d.pop("leaf_paths")
    for f in (log, py_parquet, limit_parquet, duck_parquet, schema):
        if not args.keep and os.path.exists(f):
            os.remove(f)
    if not args.keep:
        shutil.rmtree(lake, ignore_errors=True)
    return {
        "lines": n,
        "log_bytes": log_bytes,
        "steps": steps,
        "shapes": shapes,
        "same": {k: v["rows"] for k, v in same.items()},
        "problems": problems,
    }


def table(m: dict) -> str:
    s = m["steps"]
    rows = [
        ("write: ours (log -> mapper -> Writer -> lake)", s["ours-write"], "log_bytes"),
        ("write: Python reference (regex -> dict -> from_pylist -> ZSTD)", s["python-write"], "log_bytes"),
        ("write: DuckDB (regex -> struct columns -> COPY ... ZSTD)", s["duckdb-write"], "log_bytes"),
        ("write: limit (arrow-rs, prebuilt RecordBatch)", s["limit-write"], "log_bytes"),
        ("read: ours (subscriber reader -> typed events)", s["ours-read"], "input_bytes"),
        ("read: Python reference (pyarrow -> to_pylist)", s["python-read"], "input_bytes"),
        ("read: limit (arrow-rs -> RecordBatch)", s["limit-read"], "input_bytes"),
    ]
    out = [
        f"{m['lines']:,} lines ({m['log_bytes'] / 1e6:.1f} MB of log)",
        "",
        "| step | events | events/s | MB/s | seconds | peak RSS (MiB) | load (1 min) |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, r, key in rows:
        eps, mbs = rate(r, key)
        out.append(
            f"| {label} | {r['events']:,} | {eps:,.0f} | {mbs:.1f} | {r['seconds']:.3f} | "
            f"{r['peak_rss_kib'] / 1024:.0f} | {r['load_avg_1m']:.1f} |"
        )
    lw = s["limit-write"]
    out.append(
        f"| encode only: ours typed -> Parquet (`BatchEncoder` + the same streaming writer, same process as the limit) | "
        f"{lw['events']:,} | {lw['events'] / max(lw['typed_seconds'], 1e-9):,.0f} | "
        f"{lw['log_bytes'] / 1e6 / max(lw['typed_seconds'], 1e-9):.1f} | "
        f"{lw['typed_seconds']:.3f} | | {lw['load_avg_1m']:.1f} |"
    )
    out += [
        "",
        "| output | files | top-level columns | leaf columns | row groups | rows | bytes |",
        "|---|---|---|---|---|---|---|",
    ]
    for side, d in m["shapes"].items():
        out.append(
            f"| {side} | {d['files']} | {d['top_level_columns']} | {d['leaf_columns']} | "
            f"{d['row_groups']} | {d['rows']:,} | {d['bytes']:,} |"
        )
    out.append(
        "\nevents compared with ours, every column: "
        + ", ".join(f"{k} {v:,}" for k, v in m["same"].items())
        + " (DuckDB without `metadata.correlation_uid`)"
    )
    r = ratios(m)
    out += [
        "",
        f"- end to end, ours / Python: **{r['write_vs_python']:.1f}x** faster (target >= 10x)",
        f"- end to end, ours / DuckDB: **{r['write_vs_duckdb']:.1f}x** faster (target >= 3x)",
        f"- read, ours / Python: **{r['read_vs_python']:.1f}x** faster; ours "
        f"{r['read_eps']:,.0f} events/s (target >= 1,000,000)",
        f"- encoding, ours typed -> Parquet vs limit: **{r['encode_vs_limit']:.2f}x** the "
        "limit's time (target <= 1.3x)",
        f"- end to end, ours vs limit write: {r['write_vs_limit']:.1f}x the limit's time; "
        f"read, ours vs limit: {r['read_vs_limit']:.1f}x",
        f"- output: ours {s['ours-write']['output_bytes']:,} B in {s['ours-write']['files']} file(s), "
        f"Python {s['python-write']['output_bytes']:,} B, DuckDB {s['duckdb-write']['output_bytes']:,} B, "
        f"limit {lw['output_bytes']:,} B",
    ]
    for p in m["problems"]:
        out.append(f"- **check failed**: {p}")
    return "\n".join(out)


def ratios(m: dict) -> dict:
    s = m["steps"]
    eps = {k: s[k]["events"] / max(s[k]["seconds"], 1e-9) for k in s if "events" in s[k]}
    lw = s["limit-write"]
    return {
        "write_vs_python": eps["ours-write"] / eps["python-write"],
        "write_vs_duckdb": eps["ours-write"] / eps["duckdb-write"],
        "read_vs_python": eps["ours-read"] / eps["python-read"],
        "read_eps": eps["ours-read"],
        "encode_vs_limit": lw["typed_seconds"] / max(lw["seconds"], 1e-9),
        "write_vs_limit": eps["limit-write"] / eps["ours-write"],
        "read_vs_limit": eps["limit-read"] / eps["ours-read"],
    }


def scaling(results: list) -> str:
    out = [
        "| lines | ours write ev/s | RSS MiB | Python write ev/s | RSS MiB | DuckDB write ev/s | RSS MiB | "
        "ours/Python | ours/DuckDB | encode/limit | ours read ev/s | RSS MiB | Python read ev/s | RSS MiB | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for m in results:
        s, r = m["steps"], ratios(m)

        def eps(k):
            return s[k]["events"] / max(s[k]["seconds"], 1e-9)

        def rss(k):
            return s[k]["peak_rss_kib"] / 1024

        load = max(v["load_avg_1m"] for v in s.values())
        out.append(
            f"| {m['lines']:,} | {eps('ours-write'):,.0f} | {rss('ours-write'):.0f} | "
            f"{eps('python-write'):,.0f} | {rss('python-write'):.0f} | "
            f"{eps('duckdb-write'):,.0f} | {rss('duckdb-write'):.0f} | "
            f"{r['write_vs_python']:.1f}x | {r['write_vs_duckdb']:.1f}x | "
            f"{r['encode_vs_limit']:.2f}x | {eps('ours-read'):,.0f} | {rss('ours-read'):.0f} | "
            f"{eps('python-read'):,.0f} | {rss('python-read'):.0f} | {load:.1f} |"
        )
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", required=True, help="the compare binary (run.sh builds it)")
    parser.add_argument("--python", default=os.environ.get("PYTHON", "python3"))
    parser.add_argument("--work", help="directory for logs and lakes (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep logs, lakes and Parquet files")
    parser.add_argument("lines", nargs="*", type=int, default=[10_000, 100_000, 1_000_000])
    args = parser.parse_args()
    if any(n <= 0 for n in args.lines):
        raise SystemExit("line counts must be positive")
    check = subprocess.run(
        [args.python, "-c", "import pyarrow; print(pyarrow.__version__)"],
        capture_output=True, text=True,
    )
    if check.returncode != 0:
        raise SystemExit(f"{args.python} has no pyarrow; set PYTHON to a Python with pyarrow")
    duck_check = subprocess.run(
        [args.python, "-c", "import duckdb; print(duckdb.__version__)"],
        capture_output=True, text=True,
    )
    if duck_check.returncode != 0:
        raise SystemExit(f"{args.python} has no duckdb; set PYTHON to the CI venv's Python")
    work = args.work or tempfile.mkdtemp(prefix="securitylake-compare-")
    os.makedirs(work, exist_ok=True)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}; "
        f"python {platform.python_version()} ({args.python}), pyarrow {check.stdout.strip()}, "
        f"duckdb {duck_check.stdout.strip()}; "
        f"load average at start {os.getloadavg()}",
        flush=True,
    )
    if os.sep + "debug" + os.sep in os.path.abspath(args.bin):
        print("UNOPTIMIZED (debug) build of the Rust steps: a smoke check of the harness, "
              "not a measurement", flush=True)
    results = []
    for n in args.lines:
        m = measure(n, args, work)
        results.append(m)
        print("\n" + table(m), flush=True)
        with open(os.path.join(work, "results.json"), "w") as f:
            json.dump(results, f, indent=1)
    print("\nScaling\n\n" + scaling(results))
    print(f"\nraw figures: {os.path.join(work, 'results.json')}")
    if not args.keep and not args.work:
        # Keep results.json only.
        for name in os.listdir(work):
            if name != "results.json":
                path = os.path.join(work, name)
                shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else os.remove(path)
    if any(m["problems"] for m in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
