"""The last-known-good file of each configuration (as Apollo's Java client keeps one): written
after every fresh answer, read only when the service cannot answer, so a service can start and run
while configsvc or its database is away."""

import hashlib
import json
import logging
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from configsvc_client.models import Snapshot

logger = logging.getLogger("configsvc_client")

FORMAT = 1


class LastKnownGood:
    """One JSON file per (application, configuration) under `directory` (created 0700; files 0600,
    since configurations often hold secrets). A write is atomic: a reader, or a process starting
    after a crash, sees the previous file or the new one, never a torn one."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def path(self, application: str, name: str) -> Path:
        # Names may hold any character, "/" included, and be 256 long: a digest makes a safe file
        # name; the file itself says which configuration it holds.
        digest = hashlib.sha256(json.dumps([application, name]).encode()).hexdigest()[:40]
        return self.directory / f"{digest}.json"

    def store(self, snapshot: Snapshot) -> None:
        """Write `snapshot` atomically (temporary file, fsync, rename, fsync of the directory). A
        failure to write is logged, not raised: the caller has its fresh answer either way."""
        document = {
            "format": FORMAT,
            "application": snapshot.application,
            "etag": snapshot.etag,
            "stored_at": datetime.now(UTC).isoformat(),
            "configuration": snapshot.representation(),
        }
        target = self.path(snapshot.application, snapshot.name)
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            _write_atomically(target, json.dumps(document, ensure_ascii=False).encode())
        except OSError as error:
            logger.warning("could not write the cache file %s: %s", target, error)

    def load(self, application: str, name: str) -> Snapshot | None:
        """The cached snapshot (source "cache", stale), or None when there is none or it is unreadable."""
        path = self.path(application, name)
        try:
            document = json.loads(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            logger.warning("ignoring the unreadable cache file %s: %s", path, error)
            return None
        try:
            if document["format"] != FORMAT or document["application"] != application:
                return None
            configuration = document["configuration"]
            if configuration["name"] != name:
                return None
            return Snapshot.from_representation(application, configuration, document["etag"], source="cache")
        except (KeyError, TypeError) as error:
            logger.warning("ignoring the malformed cache file %s: %r", path, error)
            return None

    def drop(self, application: str, name: str) -> None:
        """Forget the configuration (it was deleted): a later outage must not bring it back."""
        try:
            self.path(application, name).unlink(missing_ok=True)
        except OSError as error:
            logger.warning("could not remove a cache file: %s", error)


def _write_atomically(target: Path, content: bytes) -> None:
    # mkstemp creates the file with mode 0600, in the target's directory so that rename is atomic.
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX: a directory's entries are synced with it)."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
