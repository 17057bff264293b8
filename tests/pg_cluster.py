"""A throwaway PostgreSQL cluster for the test session (and bench/engines.py).

initdb and postgres refuse to run as root, so when we are root (CI runs `.ci/run` as root)
every server command runs as the unprivileged `postgres` system user that the Debian
`postgresql` package creates, in a temporary directory that user owns. The server listens
on 127.0.0.1 on a free port, with its unix socket inside the temporary directory, so it never
collides with a system cluster.

Authentication: the superuser `mapforge` connects without a password (trust); the role
`mapforge_pw` must give a password (scram), so tests can prove that PGPASSWORD reaches libpq.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

SUPERUSER = "mapforge"
PASSWORD_ROLE = "mapforge_pw"
PASSWORD = "pw-for-tests"
_RUN_AS = "postgres"

# Durability off: a test cluster is thrown away, and fsync is most of its start-up cost.
_SERVER_OPTIONS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


class ClusterError(RuntimeError):
    """The cluster could not be created or started; tests that need it must fail, not skip."""


def bin_dir() -> Path:
    """Directory holding initdb and pg_ctl: PATH first, then Debian's versioned directories."""
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if not versions:
        raise ClusterError("initdb not found: install the `postgresql` package (see .ci/run)")
    return Path(versions[-1]).parent


def _version(path: str) -> int:
    part = Path(path).parent.parent.name
    return int(part) if part.isdigit() else 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PgCluster:
    """initdb + pg_ctl start on enter; pg_ctl stop + remove the directory on exit."""

    def __init__(self) -> None:
        self.bin = bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="mapforge-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._as_root = os.geteuid() == 0

    @property
    def url(self) -> str:
        """URL of the `postgres` database as the trusted superuser."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    def password_url(self) -> str:
        """URL of the role that must authenticate with a password (not part of the URL)."""
        return f"postgresql://{PASSWORD_ROLE}@127.0.0.1:{self.port}/postgres"

    def start(self) -> PgCluster:
        try:
            self._own_root()
            self._server(
                "initdb",
                "-D",
                str(self.data),
                "-U",
                SUPERUSER,
                "-E",
                "UTF8",
                "--locale=C",
                "-A",
                "trust",
                "--no-sync",
            )
            self._write_hba()
            options = (
                f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 {_SERVER_OPTIONS}"
            )
            self._server(
                "pg_ctl",
                "-D",
                str(self.data),
                "-o",
                options,
                "-l",
                str(self.root / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            )
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            # immediate: nothing in a throwaway cluster is worth a clean shutdown checkpoint
            subprocess.run(
                self._command("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"),
                capture_output=True,
                check=False,
            )
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        path = self.root / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def __enter__(self) -> PgCluster:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- internals -------------------------------------------------------------------------

    def _own_root(self) -> None:
        if not self._as_root:
            return
        try:
            user = pwd.getpwnam(_RUN_AS)
        except KeyError:
            raise ClusterError(
                f"running as root but there is no {_RUN_AS!r} user: install the `postgresql` package"
            ) from None
        os.chown(self.root, user.pw_uid, user.pw_gid)

    def _write_hba(self) -> None:
        # first match wins: the password role over TCP needs scram, everyone else is trusted
        lines = [
            f"host all {PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256",
            "local all all trust",
            "host all all 127.0.0.1/32 trust",
        ]
        (self.data / "pg_hba.conf").write_text("\n".join(lines) + "\n")

    def _command(self, program: str, *args: str) -> list[str]:
        command = [str(self.bin / program), *args]
        return ["runuser", "-u", _RUN_AS, "--", *command] if self._as_root else command

    def _server(self, program: str, *args: str) -> None:
        done = subprocess.run(
            self._command(program, *args), capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise ClusterError(
                f"{program} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}\n{self.log()[-2000:]}"
            )


def create_password_role(url: str) -> None:
    """Create the role that must authenticate with PASSWORD (scram)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"create role {PASSWORD_ROLE} login password '{PASSWORD}'")
