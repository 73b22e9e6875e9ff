"""The interface every endpoint source implements."""

import abc


class EndpointSource(abc.ABC):
    """Keeps an EndpointStore up to date for the services it is asked to follow."""

    @abc.abstractmethod
    def track(self, service):
        """Start following ``service`` (idempotent); results and errors land in the store."""

    def stalls(self):
        """{service: why} for each service whose background work is frozen or gone; a restart would help."""
        return {}

    @abc.abstractmethod
    def close(self):
        """Stop background work."""
