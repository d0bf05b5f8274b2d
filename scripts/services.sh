#!/usr/bin/env bash
# Makes sure the services the test suite talks to are up: PostgreSQL, Redis (the channel
# layer test) and Chromium (the browser tests). Starts or installs what is missing where it
# can, and says what it did.
set -euo pipefail

pg_host=127.0.0.1
pg_port=5432

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
    if ! command -v redis-server >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "services: installing Redis for the channel layer test (apt-get install redis-server)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq redis-server >/dev/null
    fi
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
if [ ! -x "$chromium" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "services: installing Chromium for the browser tests (apt-get install chromium)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq chromium >/dev/null
    else
        echo "services: the browser tests need Chromium at $chromium." >&2
        echo "  Install it (sudo apt-get install chromium) or set HATCH_CHROMIUM." >&2
        exit 1
    fi
fi

# wrk: the load generator of the benchmark's smoke test (bench/tests).
if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "services: installing wrk for the benchmark's smoke test (apt-get install wrk)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq wrk >/dev/null
    else
        echo "services: the benchmark's smoke test needs wrk." >&2
        echo "  Install it (sudo apt-get install wrk)." >&2
        exit 1
    fi
fi
