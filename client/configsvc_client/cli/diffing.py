"""`configsvc diff`: a unified diff of two versions' configs, pretty-printed with sorted keys so
that only real changes show; coloured only when a person is reading a terminal."""

import difflib
import os
from typing import IO, Any

from configsvc_client.cli.output import pretty

RED, GREEN, CYAN, BOLD, RESET = "\033[31m", "\033[32m", "\033[36m", "\033[1m", "\033[0m"


def unified(old: dict[str, Any] | None, new: dict[str, Any], *, old_label: str, new_label: str) -> list[str]:
    """The diff's lines (each ending in a newline); `old` None: everything is added."""
    before = [] if old is None else pretty(old).splitlines(keepends=True)
    after = pretty(new).splitlines(keepends=True)
    return list(difflib.unified_diff(before, after, fromfile=old_label, tofile=new_label))


def coloured(lines: list[str]) -> list[str]:
    def paint(line: str) -> str:
        if line.startswith(("+++", "---")):
            colour = BOLD
        elif line.startswith("@@"):
            colour = CYAN
        elif line.startswith("+"):
            colour = GREEN
        elif line.startswith("-"):
            colour = RED
        else:
            return line
        return f"{colour}{line.rstrip(chr(10))}{RESET}\n"

    return [paint(line) for line in lines]


def wants_colour(stream: IO[str]) -> bool:
    """A terminal, and no NO_COLOR (no-color.org) in the environment."""
    return stream.isatty() and not os.environ.get("NO_COLOR")
