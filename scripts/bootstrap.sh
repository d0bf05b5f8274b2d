#!/usr/bin/env bash
# Creates .venv with a Python >= 3.12 and installs the pinned requirements into it.
# Re-running is cheap: it reinstalls only when a requirements file changed.
# Usage: scripts/bootstrap.sh [requirements-file]   (default: requirements-dev.txt)
set -euo pipefail
cd "$(dirname "$0")/.."

requirements=${1:-requirements-dev.txt}
venv=.venv

is_suitable() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}

find_python() {
    local candidate
    local candidates=("${PYTHON:-}" python3.14 python3.13 python3.12 python3)
    # pyenv keeps versions that are installed but not selected out of PATH.
    local pyenv_root
    pyenv_root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
    # Newest first.
    while read -r candidate; do
        [ -x "$candidate" ] && candidates+=("$candidate")
    done < <(ls -d "$pyenv_root"/versions/3.1[2-9]*/bin/python3 /usr/local/bin/python3.1[2-9] \
        /usr/bin/python3.1[2-9] 2>/dev/null | sort -rV)
    for candidate in "${candidates[@]}"; do
        [ -n "$candidate" ] || continue
        if is_suitable "$candidate"; then
            command -v "$candidate" || echo "$candidate"
            return 0
        fi
    done
    return 1
}

if [ -x "$venv/bin/python" ] && ! is_suitable "$venv/bin/python"; then
    echo "bootstrap: $venv uses a Python older than 3.12; recreating it."
    rm -rf "$venv"
fi

if [ ! -x "$venv/bin/python" ]; then
    if ! python=$(find_python); then
        cat >&2 <<'MSG'
bootstrap: Hatch needs Python 3.12 or newer, and none was found.
  Looked at $PYTHON, python3.14/3.13/3.12/python3 on PATH, pyenv's versions and /usr/bin.
  Install one (for example `pyenv install 3.12` or your system's python3.12 package),
  or point PYTHON at it: PYTHON=/path/to/python3.12 make run
MSG
        exit 1
    fi
    echo "bootstrap: creating $venv with $python ($("$python" --version 2>&1))"
    "$python" -m venv "$venv"
fi

stamp="$venv/.installed-$(cat requirements*.txt | sha256sum | cut -c1-16)-$(basename "$requirements")"
if [ ! -f "$stamp" ]; then
    echo "bootstrap: installing $requirements"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    rm -f "$venv"/.installed-*
    touch "$stamp"
fi
