"""The `configsvc` command's entry point: says what to install when the CLI extra is missing."""

import sys


def main() -> None:
    try:
        from configsvc_client.cli.commands import app
    except ModuleNotFoundError as error:
        if error.name in ("typer", "click", "rich"):
            sys.exit("configsvc: the command line needs typer: uv add 'configsvc-client[cli]'")
        raise
    app(prog_name="configsvc")
