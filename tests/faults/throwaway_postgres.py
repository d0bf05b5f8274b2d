"""A PostgreSQL cluster of its own, under a temporary directory, that a test may stop.

The machine's shared cluster serves every other test: restarting it would break them. This
one is created with the installed server's ``initdb`` on a free port, owned by the
``postgres`` OS user when the tests run as root (``initdb`` refuses root), with trust
authentication on 127.0.0.1 only, and without fsync (nothing here needs to survive a
power cut).
"""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from testing.live_server import free_port


class ThrowawayPostgres:
    def __init__(self):
        candidates = sorted(
            glob.glob("/usr/lib/postgresql/*/bin/initdb"),
            key=lambda path: int(Path(path).parts[-3]),
        )
        if not candidates:
            raise RuntimeError(
                "The database-restart fault test needs PostgreSQL's server binaries "
                "(/usr/lib/postgresql/<version>/bin/initdb): apt-get install postgresql."
            )
        self.bin = Path(candidates[-1]).parent
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="hatch-faults-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self._owner = None
        if os.geteuid() == 0:
            self._owner = pwd.getpwnam("postgres")
            os.chown(self.root, self._owner.pw_uid, self._owner.pw_gid)

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout: float = 60) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._owner is not None:
            command = ["runuser", "-u", "postgres", "--", *command]
        # A fixed argument list, no shell.
        subprocess.run(command, check=True, capture_output=True, timeout=timeout)

    def create(self) -> None:
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync",
            "-E", "UTF8",
        )  # fmt: skip
        self.start()

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def query(self, database: str, sql: str) -> list[tuple]:
        with psycopg.connect(self.url(database)) as connection:
            return connection.execute(sql).fetchall()

    def destroy(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        finally:
            # Wait for the postmaster to let go of its files before removing them.
            time.sleep(0.1)
            shutil.rmtree(self.root, ignore_errors=True)
