"""CPU time per part of the lab, read from /proc: which process of which pod spent it.

Only meaningful where the benchmark runs on the node itself (the local lab cluster). A process
belongs to a pod when its cgroup path carries the pod's UID (cgroup v1 and v2 alike); others
are grouped by their command name (containerd, kubelet, the load clients' python, ...).
"""

import os
import re
from collections import Counter

POD_UID = re.compile(r"pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})")
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def _read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as stream:
            return stream.read()
    except OSError:  # the process ended between listing and reading
        return None


def snapshot():
    """pid -> (command name, pod UID or None, CPU seconds used so far, user + system)."""
    processes = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        stat = _read(f"/proc/{entry}/stat")
        cgroup = _read(f"/proc/{entry}/cgroup")
        if stat is None or cgroup is None:
            continue
        command = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        match = POD_UID.search(cgroup)
        uid = match.group(1).replace("_", "-") if match else None
        processes[int(entry)] = (command, uid, (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND)
    return processes


def breakdown(before, after, pod_names):
    """Counter of CPU seconds between two snapshots by part: '<pod name>: <command>' or the command."""
    parts = Counter()
    for pid, (command, uid, seconds) in after.items():
        earlier = before.get(pid)
        used = seconds - (earlier[2] if earlier and earlier[0] == command else 0.0)
        if used <= 0:
            continue
        parts[f"{pod_names[uid]}: {command}" if uid in pod_names else command] += used
    return parts
