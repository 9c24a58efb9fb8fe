#!/usr/bin/env bash
# Side-by-side benchmark: our pipeline, the Python reference, DuckDB and the
# arrow-rs limit on the same generated sshd log, in one run (see README.md).
#
#   benches/compare/run.sh [lines ...]     # default: 10000 100000 1000000
#
# PYTHON selects the interpreter (it needs pyarrow and duckdb, as the CI venv has; default python3);
# CARGO_TARGET_DIR is honoured; COMPARE_WORK keeps the files in that directory;
# COMPARE_PROFILE=dev builds unoptimized, for a smoke check of the harness only
# (its figures are not results; default: cargo bench's optimized profile).
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python3}
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}

profile=()
if [ -n "${COMPARE_PROFILE:-}" ]; then
    profile=(--profile "$COMPARE_PROFILE")
fi
cargo bench -p securitylake --bench compare --no-run "${profile[@]}"
bin=$(cargo bench -p securitylake --bench compare --no-run "${profile[@]}" --message-format=json 2>/dev/null |
    "$PYTHON" -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "compare" and m.get("executable"):
        print(m["executable"])
')
if [ -z "$bin" ]; then
    echo "run.sh: could not find the compare binary" >&2
    exit 1
fi
work=()
if [ -n "${COMPARE_WORK:-}" ]; then
    work=(--work "$COMPARE_WORK" --keep)
fi
exec "$PYTHON" benches/compare/harness.py --bin "$bin" --python "$PYTHON" "${work[@]}" "$@"
