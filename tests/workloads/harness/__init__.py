"""Start and drive the real workload processes (postgres, gunicorn, Envoy, discovery) on loopback.

HTTP, Kubernetes and the lab's constants come from the shared test toolkit (tests/toolkit).
"""

from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
IMAGES = REPO / "images"
USERSVC_DIR = IMAGES / "usersvc"
SDS_DIR = IMAGES / "usersvc-sds"
# The psql script the postgres image runs on every start to ensure the application's role.
APP_ROLE_SQL = IMAGES / "postgres" / "app-role.sql"
SIDECAR_TEMPLATE = REPO / "roles" / "usersvc" / "templates" / "sidecar-envoy.yaml.j2"
EDGE_TEMPLATE = REPO / "roles" / "edge_envoy" / "templates" / "edge-envoy.yaml.j2"
