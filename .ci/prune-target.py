"""Keeps the persistent cargo target dir bounded: every build with a changed
dependency graph leaves new test executables (hundreds of MB each, with
debug line tables) beside the old ones. Deletes all but the newest
executable per name in each profile's deps/ folder.
"""
import os
import re
import sys
from collections import defaultdict

target = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CARGO_TARGET_DIR", "target")
freed = 0
for profile in ("debug", "release"):
    deps = os.path.join(target, profile, "deps")
    if not os.path.isdir(deps):
        continue
    groups = defaultdict(list)
    for name in os.listdir(deps):
        path = os.path.join(deps, name)
        m = re.match(r"^(.*)-([0-9a-f]{16})$", name)
        if m and os.path.isfile(path) and os.access(path, os.X_OK):
            groups[m.group(1)].append(path)
    for paths in groups.values():
        paths.sort(key=os.path.getmtime, reverse=True)
        for old in paths[1:]:
            freed += os.path.getsize(old)
            os.remove(old)
print(f"pruned {freed / 1e9:.1f} GB of old test executables from {target}")
