"""1C accounting (standard OData v3): catalogs, registers and sales documents into raw_onec."""
