"""Drive and observe a deployed Envoy mesh: the cluster, the edge, traffic and the collection's playbooks."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
VENV_BIN = REPO / ".venv" / "bin"
COLLECTIONS = REPO / ".venv" / "collections"
