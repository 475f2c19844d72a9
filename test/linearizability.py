"""A linearizability checker for histories of versioned registers (a configuration's version, an
application's seq): every operation of a concurrent run, with when it was sent and when its answer
arrived, checked per key.

Versions of one key are totally ordered and each write makes the next one, so a history is
linearizable when no operation is ordered against real time the wrong way round:

* a read returns no version older than one a write made and acknowledged before the read was sent,
  nor older than one another read returned before this read was sent (no stale read);
* a read returns no version that more writes than had been sent would be needed to make (no read
  from the future);
* a write makes a version newer than every version seen, written or read, before it was sent.

Times are one clock (time.monotonic, which every process of the machine shares); a recorded sending
time is no later than the real one and a recorded answer no earlier, so a violation found is real.
"""

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class Operation:
    key: str
    kind: Literal["write", "read"]
    sent: float
    answered: float | None  # None: no answer (the outcome of a write is then unknown)
    version: int | None  # made or seen; None for a write whose outcome is unknown
    what: str = ""  # how it was done (route, instance), for the report


@dataclass(frozen=True, slots=True)
class Violation:
    operation: Operation
    witness: Operation | None
    reason: str

    def __str__(self) -> str:
        op = self.operation
        text = f"{op.key}: {op.kind} {op.what} sent at {op.sent:.6f} got v{op.version}: {self.reason}"
        if self.witness is not None:
            w = self.witness
            text += f" ({w.kind} {w.what} answered at {w.answered:.6f} with v{w.version})"
        return text


def check(history: Iterable[Operation], *, initial: dict[str, int]) -> list[Violation]:
    """Every violation in `history`; `initial` gives each key's version before the run."""
    by_key: dict[str, list[Operation]] = defaultdict(list)
    for operation in history:
        by_key[operation.key].append(operation)
    violations: list[Violation] = []
    for key, operations in by_key.items():
        violations += _check_key(operations, initial.get(key, 0))
    return violations


def _check_key(operations: list[Operation], initial: int) -> list[Violation]:
    known = sorted(
        (op for op in operations if op.answered is not None and op.version is not None),
        key=lambda op: op.answered,  # type: ignore[arg-type,return-value]
    )
    answered_at = [op.answered for op in known]
    # newest[i]: the operation with the highest version among known[:i + 1]
    newest: list[Operation] = []
    for op in known:
        newest.append(op if not newest or op.version > newest[-1].version else newest[-1])  # type: ignore[operator]
    writes_sent = sorted(op.sent for op in operations if op.kind == "write")

    violations = []
    for op in known:
        assert op.version is not None
        assert op.answered is not None
        before = bisect.bisect_left(answered_at, op.sent)  # answered strictly before op was sent
        witness = newest[before - 1] if before else None
        floor = initial if witness is None else max(initial, witness.version)  # type: ignore[type-var]
        if op.kind == "read" and op.version < floor:
            violations.append(Violation(op, witness, f"stale: v{floor} was known before it was sent"))
        if op.kind == "write" and op.version <= floor:
            violations.append(Violation(op, witness, f"a write made v{op.version} after v{floor} was known"))
        possible = initial + bisect.bisect_left(writes_sent, op.answered)  # writes sent before its answer
        if op.version > possible:
            violations.append(Violation(op, None, f"from the future: at most v{possible} could exist"))
    return violations
