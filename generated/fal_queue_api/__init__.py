"""A client library for accessing fal queue API (gateway edition)"""

from .client import AuthenticatedClient, Client

__all__ = (
    "AuthenticatedClient",
    "Client",
)
