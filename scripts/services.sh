#!/usr/bin/env bash
# Makes sure the services the test suite talks to are up: PostgreSQL (and its server
# programs, for the fault suite's throwaway cluster), Redis (the channel layer test),
# Chromium (the browser tests) and wrk (the benchmark's smoke test). Starts or installs what
# is missing where it can, and says what it did.
set -euo pipefail

# apt_install PACKAGE PURPOSE: installs a Debian package when this runs as root with
# apt-get, updating the package lists once; fails (status 1) where it cannot.
apt_updated=""
apt_install() {
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 1
    echo "services: installing $1 for $2 (apt-get install $1)"
    export DEBIAN_FRONTEND=noninteractive
    if [ -z "$apt_updated" ]; then
        apt-get update -qq || return 1
        apt_updated=1
    fi
    apt-get install -y -qq "$1" >/dev/null
}

pg_host=127.0.0.1
pg_port=5432

# The fault suite runs initdb and pg_ctl itself (tests/faults/throwaway_postgres.py).
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    if [ "$(id -u)" = 0 ] && ! pg_isready -q -h "$pg_host" -p "$pg_port" 2>/dev/null; then
        # The package's main cluster (made by pg_createcluster, which reads this) trusts
        # local TCP connections, as the tests' postgres@127.0.0.1 does (README).
        mkdir -p /etc/postgresql-common/createcluster.d
        echo "initdb_options = '--auth-local=peer --auth-host=trust'" \
            >/etc/postgresql-common/createcluster.d/hatch-tests.conf
    fi
    if ! apt_install postgresql "the database and the fault suite"; then
        echo "services: the fault suite needs PostgreSQL's server programs (initdb, pg_ctl)." >&2
        echo "  Install them (sudo apt-get install postgresql)." >&2
        exit 1
    fi
fi

if ! pg_isready -q -h "$pg_host" -p "$pg_port" 2>/dev/null; then
    if command -v pg_ctlcluster >/dev/null && [ -n "$(ls /etc/postgresql 2>/dev/null)" ]; then
        version=$(ls /etc/postgresql | sort -V | tail -n 1)
        echo "services: starting PostgreSQL $version"
        pg_ctlcluster --skip-systemctl-redirect "$version" main start
        for _ in $(seq 1 30); do pg_isready -q -h "$pg_host" -p "$pg_port" && break; sleep 1; done
    fi
fi
if ! pg_isready -q -h "$pg_host" -p "$pg_port" 2>/dev/null; then
    echo "services: PostgreSQL is not answering on $pg_host:$pg_port. Start it, or set DATABASE_URL." >&2
    exit 1
fi

redis_host=127.0.0.1
redis_port=6379

# PING over bash's /dev/tcp, so that redis-cli need not be installed.
redis_answers() {
    local reply=""
    { exec 3<>"/dev/tcp/$redis_host/$redis_port"; } 2>/dev/null || return 1
    printf 'PING\r\n' >&3
    read -r -t 2 reply <&3 || true
    exec 3<&- 3>&-
    [ "${reply%$'\r'}" = "+PONG" ]
}

if ! redis_answers; then
    command -v redis-server >/dev/null || apt_install redis-server "the channel layer test" || true
    if command -v redis-server >/dev/null; then
        echo "services: starting Redis on $redis_host:$redis_port (no persistence)"
        redis-server --daemonize yes --bind "$redis_host" --port "$redis_port" --save "" --appendonly no >/dev/null
        for _ in $(seq 1 30); do redis_answers && break; sleep 0.2; done
    fi
fi
if ! redis_answers; then
    echo "services: Redis is not answering on $redis_host:$redis_port; the channel layer test needs it." >&2
    echo "  Install it (sudo apt-get install redis-server) or start it there." >&2
    exit 1
fi

chromium=${HATCH_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ] && ! apt_install chromium "the browser tests"; then
    echo "services: the browser tests need Chromium at $chromium." >&2
    echo "  Install it (sudo apt-get install chromium) or set HATCH_CHROMIUM." >&2
    exit 1
fi

# wrk: the load generator of the benchmark's smoke test (bench/tests).
if ! command -v wrk >/dev/null && ! apt_install wrk "the benchmark's smoke test"; then
    echo "services: the benchmark's smoke test needs wrk." >&2
    echo "  Install it (sudo apt-get install wrk)." >&2
    exit 1
fi
