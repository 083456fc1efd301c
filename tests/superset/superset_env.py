"""Settings of the test Superset, shared by conftest.py and the test modules of this area."""

ADMIN_PASSWORD = "admin-test"
DEMO_PASSWORD = "demo-test"
APPROVALS_URL = "http://127.0.0.1:18090"
