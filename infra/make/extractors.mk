# Extractors: the four sources into raw_* (docs/extractors.md).
.PHONY: extract extract-bench

extract: warehouse
	$(PY) -m extractors run $(EXTRACT_ARGS)

extract-bench: warehouse
	$(PY) benchmarks/extract_bench.py --profile $(PROFILE)

# The help desk's webhook receiver (Okdesk POSTs status changes to it; docs/okdesk.md):
# HELPDESK_WEBHOOK_PORT (default 8095), HELPDESK_WEBHOOK_TOKEN.
.PHONY: webhook-receiver
webhook-receiver: warehouse
	$(PY) -m extractors.helpdesk.webhooks
