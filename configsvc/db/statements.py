"""Statements: plain SQL strings, or hot ones prepared once per connection and then EXECUTEd by name."""

import re
from dataclasses import dataclass, field
from typing import Any

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


Statement = str | Prepared


def run(cursor: Any, statement: Statement, params: object) -> None:
    """Execute on `cursor`; a Prepared statement is prepared first if its connection has not yet."""
    if isinstance(statement, str):
        cursor.execute(statement, params)
        return
    prepared = cursor.connection.prepared
    if statement.name not in prepared:
        cursor.execute(statement.prepare_sql)
        prepared.add(statement.name)
    cursor.execute(statement.execute_sql, params)
