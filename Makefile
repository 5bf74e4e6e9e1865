# The two commands of the README: `make run` and `make test`.
.PHONY: run test lint bench

run:
	scripts/bootstrap
	.venv/bin/townsquare migrate --no-input
	.venv/bin/townsquare demo --if-empty
	.venv/bin/townsquare serve --host 127.0.0.1 --port 8000

test:
	scripts/bootstrap dev
	.venv/bin/python -m pytest -n auto --dist loadfile --durations=15

lint:
	scripts/bootstrap dev
	.venv/bin/ruff check .
