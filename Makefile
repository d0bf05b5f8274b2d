# Each target is one documented command; the logic lives in scripts/.
.PHONY: run test

run:  ## install everything, migrate, load demo data, serve http://127.0.0.1:8000
	scripts/run.sh

test:  ## install everything and run lint plus the whole test suite on PostgreSQL
	scripts/test.sh
