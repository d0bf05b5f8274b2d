# Each target is one documented command; the logic lives in scripts/.
.PHONY: run test screenshots

run:  ## install everything, migrate, load demo data, serve http://127.0.0.1:8000
	scripts/run.sh

test:  ## install everything and run lint plus the whole test suite on PostgreSQL
	scripts/test.sh

screenshots:  ## regenerate the README's docs/*.png from a throwaway server with demo data
	scripts/services.sh
	.venv/bin/python scripts/screenshots.py
