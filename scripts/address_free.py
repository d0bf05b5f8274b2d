"""make run's check that its address is free: exits with a sentence a person can act on.

runserver (daphne) only logs a failure to listen and keeps running without serving
anything. Usage: scripts/address_free.py HOST PORT
"""

import errno
import socket
import sys

host, port = sys.argv[1].strip("[]"), int(sys.argv[2])


def bind(port):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as sock:
        # As the server does: a connection of an earlier run in TIME_WAIT does not count.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))


try:
    bind(port)
except OSError as error:
    if error.errno != errno.EADDRINUSE:
        sys.exit(
            f"run: cannot serve on {sys.argv[1]}:{port}: {error.strerror}. "
            "Set HATCH_ADDRESS to an address of this machine, such as 127.0.0.1:8000."
        )
    for free in range(port + 1, min(port + 100, 65536)):
        try:
            bind(free)
            break
        except OSError:
            continue
    else:
        free = "<port>"
    sys.exit(
        f"run: port {port} is in use on {sys.argv[1]}: another server listens there (an "
        f"earlier make run?). Stop it, or serve on another port: "
        f"HATCH_ADDRESS={sys.argv[1]}:{free} make run"
    )
