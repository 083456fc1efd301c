# Extractors: the four sources into raw_* (docs/extractors.md).
.PHONY: extract extract-bench

extract: warehouse
	$(PY) -m extractors run $(EXTRACT_ARGS)

extract-bench: warehouse
	$(PY) benchmarks/extract_bench.py --profile $(PROFILE)
