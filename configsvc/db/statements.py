"""Statements: plain SQL strings, or hot ones prepared once per connection and then EXECUTEd by name;
and `Reads`, what a view needs of whatever connection runs its statements."""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from psycopg2.sql import Composable

Row = dict[str, Any]

_PARAMETER = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True)
class Prepared:
    """Written like any other statement, with `%(name)s` parameters (PostgreSQL infers their types);
    planned once per connection instead of once per request."""

    name: str
    sql: str
    prepare_sql: str = field(init=False)
    execute_sql: str = field(init=False)

    def __post_init__(self) -> None:
        order = list(dict.fromkeys(_PARAMETER.findall(self.sql)))
        positional = _PARAMETER.sub(lambda m: f"${order.index(m.group(1)) + 1}", self.sql)
        arguments = ", ".join(f"%({parameter})s" for parameter in order)
        object.__setattr__(self, "prepare_sql", f"PREPARE {self.name} AS {positional}")
        execute = f"EXECUTE {self.name} ({arguments})" if order else f"EXECUTE {self.name}"
        object.__setattr__(self, "execute_sql", execute)


Statement = str | Composable | Prepared


class Reads(Protocol):
    """A connection lent to a view: a pooled `Session`, or the loop read connection's session."""

    async def fetch_one(self, statement: Statement, params: object = None) -> Row | None: ...

    async def fetch_all(self, statement: Statement, params: object = None) -> list[Row]: ...


def steps(statement: Statement, prepared: set[str]) -> Iterator[tuple[str | Composable, bool]]:
    """What to send for `statement` on a connection that has prepared `prepared`, in order: (SQL,
    whether it takes the parameters). A Prepared statement counts as prepared once the caller has
    run its PREPARE and asked for the next step."""
    if not isinstance(statement, Prepared):
        yield statement, True
        return
    if statement.name not in prepared:
        yield statement.prepare_sql, False
        prepared.add(statement.name)
    yield statement.execute_sql, True


def run(cursor: Any, statement: Statement, params: object) -> None:
    """Execute on `cursor` (blocking), preparing first if its connection has not yet."""
    for sql, with_params in steps(statement, cursor.connection.prepared):
        cursor.execute(sql, params if with_params else None)
