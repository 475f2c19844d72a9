"""The `configsvc` command: one function per subcommand, each a thin layer over `Client` (the
CLI sends no HTTP of its own). Exit codes: 0 done, 1 refused or failed, 2 usage, 3 not found,
4 conflict or precondition failed, 5 unreachable."""

import logging
import shlex
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from configsvc_client.cli.diffing import coloured, unified, wants_colour
from configsvc_client.cli.editing import Editing, default_editor, parsed
from configsvc_client.cli.output import (
    CONFLICT,
    FAILED,
    USAGE,
    described,
    emit,
    fail,
    read_config,
    reports_errors,
    say,
)
from configsvc_client.cli.transfer import BadDocument, Importer, canonical, export, read_document, write_summary
from configsvc_client.errors import PreconditionFailed, Rejected
from configsvc_client.sync_client import Client

app = typer.Typer(
    name="configsvc",
    help="Read, follow and change configsvc configurations from a shell. Data goes to stdout as JSON, "
    "messages to stderr. Exit codes: 0 done, 1 refused or failed, 2 usage, 3 not found, "
    "4 conflict or precondition failed, 5 unreachable.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

Url = Annotated[str, typer.Option("--url", envvar="CONFIGSVC_URL", help="The service's base URL.")]
Token = Annotated[
    str | None,
    typer.Option(
        "--token", envvar="CONFIGSVC_TOKEN", help="Bearer token, when access control is on.", show_default=False
    ),
]
Application = Annotated[str, typer.Argument(metavar="APP", help="The application's name.", show_default=False)]
Name = Annotated[str, typer.Argument(metavar="NAME", help="The configuration's name.", show_default=False)]
IfMatch = Annotated[
    str | None,
    typer.Option("--if-match", help="Only if this ETag (e.g. '\"3\"', from get --full) is still current; else exit 4."),
]
DEFAULT_URL = "http://127.0.0.1:8000"


class OnConflict(StrEnum):
    skip = "skip"
    overwrite = "overwrite"
    fail = "fail"


class _CurrentStderr(logging.Handler):
    """The library's warnings (a watch retrying, say) as lines on whatever stderr is now."""

    def emit(self, record: logging.LogRecord) -> None:
        sys.stderr.write(f"configsvc: {record.getMessage()}\n")


@app.callback()
def main() -> None:
    logging.getLogger("configsvc_client").handlers = [_CurrentStderr(level=logging.WARNING)]


@app.command()
@reports_errors
def get(
    application: Application,
    name: Name,
    full: Annotated[bool, typer.Option("--full", help="The whole configuration: id, version, etag, comments.")] = False,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Print a configuration's config as JSON.

    Example:

    \b
      configsvc get payments production
    """
    with Client(url, token=token) as client:
        snapshot = client.get(application, name)
    emit(described(snapshot) if full else snapshot.config)


@app.command()
@reports_errors
def put(
    application: Application,
    name: Name,
    file: Annotated[
        str, typer.Argument(metavar="FILE|-", help="A JSON object to store; - reads stdin.", show_default=False)
    ],
    if_match: IfMatch = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Create or replace a configuration from a JSON file.

    Creates the application too when it does not exist. Prints the configuration written.

    Example:

    \b
      echo '{"debug": true}' | configsvc put payments production -
    """
    config = read_config(file)
    with Client(url, token=token) as client:
        snapshot = client.put(application, name, config, if_match=if_match)
    say(f"{application}/{name}: version {snapshot.version} written")
    emit(described(snapshot))


@app.command()
@reports_errors
def edit(application: Application, name: Name, url: Url = DEFAULT_URL, token: Token = None) -> None:
    """Edit a configuration in $EDITOR, safely.

    Written only if it is a JSON object (else the editor opens again, the error on top) and only
    over the version you opened: if someone wrote meanwhile, your edit is kept in a file and the
    exit code is 4.

    Example:

    \b
      EDITOR=nano configsvc edit payments production
    """
    with Client(url, token=token) as client:
        opened = client.get(application, name)
        editing = Editing.open(application, name, opened.config)
        editor = default_editor()
        while True:
            try:
                status = editing.run_editor(editor)
            except OSError as error:
                editing.remove()
                fail(f"cannot run the editor {editor!r}: {error.strerror or error}", FAILED)
            if status != 0:
                editing.remove()
                fail(f"the editor exited with {status}; nothing written", FAILED)
            text = editing.read()
            if not text.strip():
                editing.remove()
                fail("the file was emptied; nothing written", FAILED)
            config, problem = parsed(text)
            if config is None:
                editing.show_error(problem or "not a configuration", text)
                continue
            if canonical(config) == canonical(opened.config):
                editing.remove()
                say(f"{application}/{name}: no change; nothing written")
                return
            try:
                written = client.put(application, name, config, if_match=opened.etag)
            except PreconditionFailed as error:
                now = f"now {error.current_etag}" if error.current_etag else "it was deleted"
                again = f"configsvc put {shlex.quote(application)} {shlex.quote(name)} {shlex.quote(str(editing.path))}"
                fail(
                    f"{application}/{name} changed since you opened version {opened.version} ({now}); nothing written. "
                    f"Your edit is kept in {editing.path}; compare with `configsvc get`, then write it with `{again}`",
                    CONFLICT,
                )
            except Rejected as error:
                editing.show_error(str(error), text)
                continue
            editing.remove()
            say(f"{application}/{name}: version {written.version} written")
            emit(described(written))
            return


@app.command()
@reports_errors
def watch(
    application: Application,
    name: Name,
    count: Annotated[int | None, typer.Option("--count", min=1, help="Stop after this many versions.")] = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Print the current version, then each change, as JSON lines.

    Runs until Ctrl-C (exit 0) or --count versions; reconnects by itself when the service is away.

    Example:

    \b
      configsvc watch payments production | jq -c .config
    """
    try:
        with Client(url, token=token) as client:
            for seen, snapshot in enumerate(client.watch(application, name), start=1):
                emit(described(snapshot) | {"source": snapshot.source}, line=True)
                if count is not None and seen >= count:
                    break
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


@app.command()
@reports_errors
def history(
    application: Application,
    name: Name,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the newest N versions.")] = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Print a configuration's versions as JSON, newest first.

    Example:

    \b
      configsvc history payments production --limit 5
    """
    with Client(url, token=token) as client:
        revisions = client.history(application, name, limit=limit)
    emit([revision.as_dict() for revision in revisions])


@app.command()
@reports_errors
def diff(
    application: Application,
    name: Name,
    old: Annotated[
        int | None, typer.Argument(metavar="[V1]", min=1, help="Default: the version before the current one.")
    ] = None,
    new: Annotated[int | None, typer.Argument(metavar="[V2]", min=1, help="Default: the current version.")] = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Diff two versions' configs (unified, keys sorted).

    Default: the version before the current one against the current one; with V1 only, V1 against
    the current one. Coloured only on a terminal (and not with NO_COLOR set).

    Example:

    \b
      configsvc diff payments production 3 5
    """
    with Client(url, token=token) as client:
        if new is None:
            current = client.get(application, name)
            new, after = current.version, current.config
        else:
            after = client.revision(application, name, new).config
        if old is None:
            old = new - 1
        before = client.revision(application, name, old).config if old >= 1 else None
    label = f"{application}/{name}"
    lines = unified(
        before,
        after,
        old_label=f"{label} version {old}" if before is not None else "/dev/null",
        new_label=f"{label} version {new}",
    )
    sys.stdout.writelines(coloured(lines) if wants_colour(sys.stdout) else lines)
    sys.stdout.flush()


@app.command()
@reports_errors
def restore(
    application: Application,
    name: Name,
    version: Annotated[
        int, typer.Argument(min=1, help="The version whose content to write again.", show_default=False)
    ],
    if_match: IfMatch = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Write an old version's content again, as a new version.

    Restores the old version's name, comments and config. Prints the configuration written.

    Example:

    \b
      configsvc restore payments production 3
    """
    with Client(url, token=token) as client:
        snapshot = client.restore(application, name, version, if_match=if_match)
    say(f"{application}/{name}: version {version} restored as version {snapshot.version}")
    emit(described(snapshot))


@app.command()
@reports_errors
def delete(
    application: Application, name: Name, if_match: IfMatch = None, url: Url = DEFAULT_URL, token: Token = None
) -> None:
    """Delete a configuration.

    Its history stays readable through the API.

    Example:

    \b
      configsvc delete payments scratch
    """
    with Client(url, token=token) as client:
        client.delete(application, name, if_match=if_match)
    say(f"{application}/{name}: deleted")


@app.command("export")
@reports_errors
def export_command(
    application: Annotated[str | None, typer.Option("--application", help="Only this application.")] = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Print applications and configurations as one JSON document.

    Streams page by page, for backups and moves between services; `import` reads it back.

    Example:

    \b
      configsvc export > backup.json
    """
    with Client(url, token=token) as client:
        counts = export(client, sys.stdout, application)
    say(f"exported {counts['applications']} applications, {counts['configurations']} configurations")


@app.command("import")
@reports_errors
def import_command(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", exists=True, dir_okay=False, readable=True, help="A document from export.")
    ],
    on_conflict: Annotated[
        OnConflict, typer.Option("--on-conflict", help="What to do where an item exists with other content.")
    ] = OnConflict.fail,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Create what an export holds, by names.

    Items already there with the same content are left alone, so a second import changes nothing.
    Where one differs: --on-conflict fail (the default) writes nothing at all, skip leaves it,
    overwrite replaces it. Prints what it did as JSON.

    Example:

    \b
      configsvc import backup.json --on-conflict skip
    """
    try:
        for _ in read_document(file):  # the whole document is checked before anything is written
            pass
    except BadDocument as error:
        fail(f"{file}: {error}", USAGE)
    with Client(url, token=token) as client:
        if on_conflict is OnConflict.fail:
            check = Importer(client, "fail", dry_run=True)
            for section, item in read_document(file):
                check.apply(section, item)
            _refuse_conflicts(check.outcome.conflicts, "nothing imported")
        importer = Importer(client, on_conflict.value)
        for section, item in read_document(file):
            importer.apply(section, item)
        _refuse_conflicts(importer.outcome.conflicts, "the import stopped part-way")
    write_summary(importer.outcome)


def _refuse_conflicts(conflicts: list[str], consequence: str) -> None:
    if not conflicts:
        return
    for conflict in conflicts[:20]:
        say(conflict)
    more = f" (and {len(conflicts) - 20} more)" if len(conflicts) > 20 else ""
    fail(f"{len(conflicts)} conflicts{more}; {consequence}. Use --on-conflict skip or overwrite", CONFLICT)
