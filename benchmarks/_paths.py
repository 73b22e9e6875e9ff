"""Makes the shared test toolkit (tests/toolkit) and the workloads harness (tests/workloads/harness) importable.

The benchmarks run as plain scripts, so pytest.ini, which does this for every pytest run, does not apply;
each benchmark imports this module before them.
"""

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"

for _path in (TESTS, TESTS / "workloads"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))
