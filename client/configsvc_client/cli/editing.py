"""`configsvc edit`: the configuration in $EDITOR, written back only as a JSON object and only
over the version that was opened (If-Match), so an edit never silently overwrites another."""

import json
import os
import shlex
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from configsvc_client.cli.output import json_kind, pretty

# The lines put above the config when the edit has to be redone; dropped when it is read back.
ERROR_MARK = "# configsvc:"


@dataclass
class Editing:
    """One edit session's file: kept when the edit could not be written, removed otherwise."""

    path: Path

    @classmethod
    def open(cls, application: str, name: str, config: dict[str, Any]) -> "Editing":
        stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in f"{application}-{name}")[:80]
        descriptor, path = tempfile.mkstemp(prefix=f"configsvc-edit-{stem}-", suffix=".json")
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(pretty(config))
        return cls(Path(path))

    def run_editor(self, editor: str) -> int:
        """Run the user's editor (a command line, as in $EDITOR="code --wait") on the file."""
        return subprocess.call([*shlex.split(editor), str(self.path)])

    def read(self) -> str:
        """The file's text without the error lines this tool put on top."""
        lines = self.path.read_text(encoding="utf-8").splitlines(keepends=True)
        while lines and lines[0].startswith(ERROR_MARK):
            lines.pop(0)
        return "".join(lines)

    def show_error(self, message: str, text: str) -> None:
        """Put `message` above the user's text, for the next round in the editor."""
        header = "".join(f"{ERROR_MARK} {line}\n" for line in message.splitlines())
        header += f"{ERROR_MARK} not written; fix it and save again, or empty the file to give up.\n"
        self.path.write_text(header + text, encoding="utf-8")

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def parsed(text: str) -> tuple[dict[str, Any] | None, str | None]:
    """The edited config, or why it cannot be one."""
    try:
        value = json.loads(text)
    except ValueError as error:
        return None, f"this is not JSON: {error}"
    if not isinstance(value, dict):
        return None, f"a configuration is a JSON object ({{...}}), not {json_kind(value)}"
    return value, None


def default_editor() -> str:
    """$EDITOR, as the contract says; then $VISUAL; then vi."""
    return os.environ.get("EDITOR") or os.environ.get("VISUAL") or "vi"
