"""The approvals page's routes, one module per concern; `bonus_export.web.app` includes their routers."""
