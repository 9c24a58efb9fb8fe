"""The sshd patterns of the side-by-side harness, shared by the Python
reference (`reference.py`, compiled with `re`) and the DuckDB peer
(`duckdb_peer.py`, run by DuckDB's RE2): one definition, two engines.

The expressions use only what both engines read the same way (named groups
`(?P<name>...)`, `\\d`, `\\w`, `\\S`, anchors, bounded repeats) on the
generated ASCII log.
"""

import re

SYSLOG = (
    r"^(?P<month>[A-Z][a-z]{2}) +(?P<day>\d{1,2}) (?P<clock>\d\d:\d\d:\d\d) "
    r"(?P<host>\S+) (?P<program>[\w.-]+)\[(?P<pid>\d+)\]: (?P<message>.*)$"
)
ACCEPTED = (
    r"^Accepted (?P<method>\S+) for (?P<user>\S+) from (?P<ip>\S+) port (?P<port>\d+) (?P<proto>\w+)"
    r"(?:: (?P<key_type>\S+) (?P<fingerprint>\S+))?"
)
FAILED = (
    r"^Failed (?P<method>\S+) for (?P<invalid>invalid user )?(?P<user>\S+) "
    r"from (?P<ip>\S+) port (?P<port>\d+) (?P<proto>\w+)"
)
INVALID = r"^Invalid user (?P<user>\S*) from (?P<ip>\S+) port (?P<port>\d+)"

# The year of the syslog timestamps (which carry none), as both pipelines assume.
YEAR = 2024


def group_names(pattern: str) -> list:
    """The named groups of `pattern`, in the order of their group numbers."""
    index = re.compile(pattern).groupindex
    return sorted(index, key=index.__getitem__)
