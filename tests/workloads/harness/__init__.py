"""Start and drive the real workload processes (postgres, gunicorn, Envoy, discovery) on loopback."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
IMAGES = REPO / "images"
USERSVC_DIR = IMAGES / "usersvc"
SDS_DIR = IMAGES / "usersvc-sds"
VENV_BIN = REPO / ".venv" / "bin"
SIDECAR_TEMPLATE = REPO / "roles" / "usersvc" / "templates" / "sidecar-envoy.yaml.j2"
EDGE_TEMPLATE = REPO / "roles" / "edge_envoy" / "templates" / "edge-envoy.yaml.j2"
