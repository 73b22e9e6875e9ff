"""SQL inside the postgres pod, through its local socket, as the checks of stored data need it."""

from toolkit.kube import is_ready

PSQL = 'exec psql --host=/run/postgresql --username="$POSTGRES_USER" --dbname="${1:-$POSTGRES_DB}" ' \
       '--no-psqlrc --no-align --tuples-only --field-separator="\t" --set=ON_ERROR_STOP=1 --file=-'


class Database:
    def __init__(self, cluster, selector="service=postgres", container="postgres"):
        self.cluster = cluster
        self.selector = selector
        self.container = container

    def pod(self):
        pods = self.cluster.ready_pods(self.selector)
        if len(pods) != 1 or not is_ready(pods[0]):
            raise RuntimeError(f"want one Ready postgres pod, found: {self.cluster.describe(self.selector)}")
        return pods[0].metadata.name

    def query(self, sql, database=""):
        """Rows of ``sql`` as lists of text; the SQL goes in on stdin, so it needs no shell quoting."""
        result = self.cluster.exec(self.pod(), self.container, ["sh", "-c", PSQL, "psql", database], stdin=sql)
        if result.returncode != 0:
            raise RuntimeError(f"psql failed ({result.returncode}): {result.stderr.strip()}")
        return [line.split("\t") for line in result.stdout.splitlines() if line]

    def databases(self):
        return [row[0] for row in self.query("SELECT datname FROM pg_database WHERE datallowconn ORDER BY 1")]
