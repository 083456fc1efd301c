"""Alembic migrations of the payroll schema (run with `python -m bonus_export migrate`)."""
