# The two commands of the README. Each installs what it needs by itself (run as root on Debian).
.PHONY: up test setup lint

up: setup
	scripts/up

test:
	scripts/test

setup:
	scripts/setup

lint: setup
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy --strict imagepin components
