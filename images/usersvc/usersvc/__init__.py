"""usersvc: the tutorial's user service (Flask, PostgreSQL)."""

from .app import create_app

__all__ = ["create_app"]
