"""HTTP servers of the source simulator: one app serving the help desk (Okdesk API v1
subset), the schedule service, 1C OData and the registry workbook from a world store, as of
a simulated clock, with faults on demand. See docs/simulator-servers.md."""

from .app import create_app

__all__ = ["create_app"]
