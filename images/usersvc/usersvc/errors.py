"""Errors that map to an HTTP status and a JSON body with ``ok: false``."""


class ApiError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class DatabaseUnavailable(ApiError):
    """The client learns only that the database is away; the detail goes to the log."""

    def __init__(self, detail):
        super().__init__(503, "database unavailable")
        self.detail = detail
