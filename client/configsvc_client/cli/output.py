"""What the CLI prints and how it exits: data as JSON on stdout, messages on stderr, and one exit
code per kind of outcome, so that scripts can tell "not found" from "unreachable"."""

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer

from configsvc_client.errors import ConfigsvcError, Conflict, NotFound, PreconditionFailed, Unavailable
from configsvc_client.models import Snapshot

OK = 0
FAILED = 1  # the service refused the request, or it failed
USAGE = 2  # typer's own for a bad command line; ours for input that cannot be used
NOT_FOUND = 3
CONFLICT = 4  # a conflict, or a precondition (If-Match) that failed
UNREACHABLE = 5

F = TypeVar("F", bound=Callable[..., Any])


def exit_code(error: ConfigsvcError) -> int:
    if isinstance(error, NotFound):
        return NOT_FOUND
    if isinstance(error, PreconditionFailed | Conflict):
        return CONFLICT
    if isinstance(error, Unavailable):
        return UNREACHABLE
    return FAILED


def fail(message: str, code: int) -> NoReturn:
    """One line on stderr, then exit with `code`."""
    say(message)
    raise typer.Exit(code)


def say(message: str) -> None:
    typer.echo(f"configsvc: {message}", err=True)


def reports_errors(command: F) -> F:
    """The client's errors become a one-line reason on stderr and their exit code."""

    @functools.wraps(command)
    def reporting(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ConfigsvcError as error:
            fail(str(error), exit_code(error))
        except BrokenPipeError:
            # The reader went away (`| head`): stop quietly, and keep Python from complaining at exit.
            sys.stdout = None  # type: ignore[assignment]
            raise typer.Exit(OK) from None

    return reporting  # type: ignore[return-value]


def pretty(value: Any) -> str:
    """Two-space indented JSON with sorted keys: what `edit` opens and `diff` compares."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def emit(value: Any, *, line: bool = False) -> None:
    """Data on stdout: indented JSON, or one compact line (`line`), flushed (a pipe sees it now)."""
    text = (
        json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        if line
        else json.dumps(value, indent=2, ensure_ascii=False)
    )
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def described(snapshot: Snapshot) -> dict[str, Any]:
    """A snapshot as the CLI prints it whole: the service's representation, plus the application's
    name, the ETag (for --if-match) and where it came from."""
    return {"application": snapshot.application, **snapshot.representation(), "etag": snapshot.etag}


def json_kind(value: Any) -> str:
    """How JSON names the type of `value` ("an array"), for messages."""
    kinds = {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return "null" if value is None else kinds.get(type(value), type(value).__name__)


def read_config(source: str) -> dict[str, Any]:
    """A JSON object from a file, or from stdin when `source` is "-"; anything else is a usage error."""
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as error:
        fail(f"cannot read {source}: {error.strerror or error}", USAGE)
    try:
        value = json.loads(text)
    except ValueError as error:
        fail(f"{source} is not JSON: {error}", USAGE)
    if not isinstance(value, dict):
        fail(f"{source} holds {json_kind(value)}: a configuration is a JSON object ({{...}})", USAGE)
    return value
