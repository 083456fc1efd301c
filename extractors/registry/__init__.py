"""Equipment and sites registry (the managers' xlsx workbook) into raw_registry."""
