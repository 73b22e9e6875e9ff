"""The interface every endpoint source implements."""

import abc


class EndpointSource(abc.ABC):
    """Keeps an EndpointStore up to date for the services it is asked to follow."""

    @abc.abstractmethod
    def track(self, service):
        """Start following ``service`` (idempotent); results and errors land in the store."""

    @abc.abstractmethod
    def close(self):
        """Stop background work."""
