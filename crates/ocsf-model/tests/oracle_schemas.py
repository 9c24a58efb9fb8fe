#!/usr/bin/env python3
"""Writes the oracle JSON Schemas of the differential test (tests/differential.rs).

Usage: oracle_schemas.py OUTDIR

For every OCSF 1.1.0 class, the JSON Schema that the PyPI package `ocsf-json-schema==1.2.0`
builds from its bundled official 1.1.0 export (objects embedded under `$defs`), twice: without
profiles and with every profile the class declares. Writes OUTDIR/<class>.json and
OUTDIR/<class>@profiles.json (`/` in extension class names becomes `__`), and OUTDIR/index.json:
{"version", "oracle", "classes": {name: {"plain": file, "profiles": [...], "with_profiles": file}}}.
"""

import json
import sys
from importlib import metadata
from pathlib import Path

from ocsf_json_schema import OcsfJsonSchemaEmbedded, get_ocsf_schema

VERSION = "1.1.0"
ORACLE = "ocsf-json-schema"
ORACLE_VERSION = "1.2.0"


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    installed = metadata.version(ORACLE)
    if installed != ORACLE_VERSION:
        print(f"{ORACLE} {installed} is installed; the oracle is {ORACLE_VERSION}", file=sys.stderr)
        return 1
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    raw = get_ocsf_schema(VERSION)
    oracle = OcsfJsonSchemaEmbedded(raw)
    index = {"version": VERSION, "oracle": f"{ORACLE}=={installed}", "classes": {}}
    for name in sorted(raw["classes"]):
        profiles = sorted(raw["classes"][name].get("profiles") or [])
        stem = name.replace("/", "__")
        plain = f"{stem}.json"
        with_profiles = f"{stem}@profiles.json"
        # The oracle mutates nothing it returns, but build each schema afresh to be safe.
        (out / plain).write_text(json.dumps(oracle.get_class_schema(name, []), indent=1, sort_keys=True))
        (out / with_profiles).write_text(
            json.dumps(oracle.get_class_schema(name, profiles), indent=1, sort_keys=True)
        )
        index["classes"][name] = {"plain": plain, "profiles": profiles, "with_profiles": with_profiles}
    (out / "index.json").write_text(json.dumps(index, indent=1, sort_keys=True))
    print(f"wrote {2 * len(index['classes'])} oracle schemas of OCSF {VERSION} to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
