"""Shift and duty schedule service: shifts (with tombstones) into raw_schedule."""
