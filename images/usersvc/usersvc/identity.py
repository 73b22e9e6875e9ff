"""Who answers a request: the pod name and pod IP the tutorial's round-robin check reads."""

import os
import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class Identity:
    hostname: str
    resolvedname: str | None

    @classmethod
    def from_env(cls, environ=None):
        """Prefer the Downward API values; fall back to what the host says about itself."""
        environ = os.environ if environ is None else environ
        hostname = environ.get("POD_NAME") or socket.gethostname()
        resolvedname = environ.get("POD_IP") or _resolve(hostname)
        return cls(hostname=hostname, resolvedname=resolvedname)

    def as_dict(self):
        return {"hostname": self.hostname, "resolvedname": self.resolvedname}


def _resolve(hostname):
    try:
        return socket.gethostbyname(hostname)
    except OSError:
        return None
