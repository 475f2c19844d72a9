"""Compiled validators, kept per process and shared by every request: compiling costs far more than
validating, so each schema version is compiled once, not per request.

Validators are keyed by the schema's digest (`configuration_schemas.digest`, the SHA-256 of its
content), so a version is one key, and configurations that share a schema share its validator.
Beside them, the digest each guarded configuration had when last seen: a write's first guess of
the schema it must satisfy. A guess is only a guess: the write's statement proves it under the row
lock (`configuration_schema_digest`), and a wrong one costs a retry, never a wrong answer.
"""

from collections import OrderedDict
from typing import Any

from configsvc.validation.compiler import Compiled, compile_schema
from configsvc.validation.violations import Loc

# Schemas of up to MAX_BODY_BYTES each: bounded by their size, least recently used out first.
MAX_SCHEMA_BYTES = 64 * 1024 * 1024
MAX_REMEMBERED_CONFIGURATIONS = 10_000


class Validators:
    def __init__(
        self, *, max_bytes: int = MAX_SCHEMA_BYTES, max_remembered: int = MAX_REMEMBERED_CONFIGURATIONS
    ) -> None:
        self.compilations = 0
        self.bytes = 0
        self._max_bytes = max_bytes
        self._max_remembered = max_remembered
        self._compiled: OrderedDict[str, Compiled] = OrderedDict()
        self._digests: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._compiled)

    def compile(self, schema: dict[str, Any], *, loc: Loc) -> Compiled:
        """Compile `schema` (InvalidSchema if it is not one the service accepts)."""
        self.compilations += 1
        return compile_schema(schema, loc=loc)

    def get(self, digest: str) -> Compiled | None:
        compiled = self._compiled.get(digest)
        if compiled is not None:
            self._compiled.move_to_end(digest)
        return compiled

    def keep(self, digest: str, compiled: Compiled) -> None:
        previous = self._compiled.pop(digest, None)
        if previous is not None:
            self.bytes -= previous.size
        self._compiled[digest] = compiled
        self.bytes += compiled.size
        while self.bytes > self._max_bytes and len(self._compiled) > 1:
            _, evicted = self._compiled.popitem(last=False)
            self.bytes -= evicted.size

    def expected_digest(self, configuration_id: str) -> str | None:
        """The digest of the configuration's schema when last seen here; None: none known."""
        return self._digests.get(configuration_id)

    def learn(self, configuration_id: str, digest: str | None) -> None:
        if digest is None:
            self._digests.pop(configuration_id, None)
            return
        self._digests[configuration_id] = digest
        self._digests.move_to_end(configuration_id)
        while len(self._digests) > self._max_remembered:
            self._digests.popitem(last=False)
