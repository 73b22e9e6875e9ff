"""gunicorn settings; GUNICORN_CMD_ARGS and command-line flags still override them."""

import os

wsgi_app = "usersvc:create_app()"
bind = [os.environ.get("USERSVC_BIND", "0.0.0.0:5000")]
worker_class = "gthread"
workers = 2
# Matches DB_CONNECTIONS_PER_WORKER so a busy worker never waits on its own pool.
threads = 4
# Longer than the sidecar's upstream idle timeout, so Envoy closes idle connections first.
keepalive = 5
accesslog = "-"
errorlog = "-"
loglevel = "info"
# The arbiter's control socket would need a writable home directory; nothing in a pod uses it.
control_socket_disable = True
# Worker heartbeats on tmpfs, not the container's overlay filesystem.
worker_tmp_dir = "/dev/shm"
