"""`configsvc export` and `import`: one JSON document holding applications and configurations by
name (a `schemas` list joins them when the service validates content), written and read an item
per line so that neither side holds more than a page of it in memory.

The document is plain JSON, and `import` also reads one that was reformatted (then whole, in
memory). Ids, versions and timestamps are informative: `import` recreates by names, so a round
trip export -> empty service -> import -> export gives the same document apart from them.
"""

import json
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Literal

from configsvc_client.errors import NotFound
from configsvc_client.models import Application, Snapshot
from configsvc_client.sync_client import Client

FORMAT = "configsvc-export"
FORMAT_VERSION = 1
SECTIONS = ("applications", "configurations")
# What each item may carry besides what import writes: kept for people reading a backup.
INFORMATIVE = {"id", "created_at", "updated_at"}
APPLICATION_KEYS = {"name", "comments"}
CONFIGURATION_KEYS = {"application", "name", "comments", "config"}
OnConflict = Literal["skip", "overwrite", "fail"]


class BadDocument(ValueError):
    """The file is not an export this version can import."""


def export(client: Client, out: IO[str], application: str | None = None) -> dict[str, int]:
    """Write the document to `out`, a page at a time; returns how many items of each kind."""
    header = {"format": FORMAT, "version": FORMAT_VERSION, "exported_at": datetime.now(UTC).isoformat()}
    out.write(json.dumps(header)[:-1] + ",\n")
    counts = {}
    for number, section in enumerate(SECTIONS):
        out.write(f'"{section}":[\n')
        items = (
            _applications(client, application) if section == "applications" else _configurations(client, application)
        )
        count = 0
        for item in items:
            out.write(("" if count == 0 else ",\n") + json.dumps(item, ensure_ascii=False, separators=(",", ":")))
            count += 1
        out.write(("\n" if count else "") + ("],\n" if number < len(SECTIONS) - 1 else "]}\n"))
        counts[section] = count
    out.flush()
    return counts


def _owners(client: Client, application: str | None) -> Iterator[Application]:
    return iter([client.application(application)]) if application is not None else client.applications()


def _applications(client: Client, application: str | None) -> Iterator[dict[str, Any]]:
    for owner in _owners(client, application):
        yield {
            "name": owner.name,
            "comments": owner.comments,
            "id": owner.id,
            "created_at": owner.created_at,
            "updated_at": owner.updated_at,
        }


def _configurations(client: Client, application: str | None) -> Iterator[dict[str, Any]]:
    for owner in _owners(client, application):
        for snapshot in client.configurations(owner):
            yield {
                "application": owner.name,
                "name": snapshot.name,
                "comments": snapshot.comments,
                "config": snapshot.config,
                "id": snapshot.id,
                "created_at": snapshot.created_at,
                "updated_at": snapshot.updated_at,
            }


def read_document(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(section, item) pairs of an export file, in order, reading a line at a time when the file
    has export's layout, and the whole document otherwise."""
    with path.open(encoding="utf-8") as file:
        first = file.readline()
        try:
            header = json.loads(first.rstrip().rstrip(",") + "}")
        except ValueError:
            header = None
        if isinstance(header, dict) and header.get("format") == FORMAT:
            yield from _lines(file, header)
            return
        file.seek(0)
        try:
            document = json.load(file)
        except ValueError as error:
            raise BadDocument(f"{path} is not JSON: {error}") from None
    if not isinstance(document, dict):
        raise BadDocument(f"{path} is not a configsvc export")
    _check_header(document)
    for section in SECTIONS:
        items = document.get(section, [])
        if not isinstance(items, list):
            raise BadDocument(f'"{section}" is not a list')
        for item in items:
            yield section, _checked(section, item)


def _lines(file: IO[str], header: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    _check_header(header)
    section = None
    for number, raw in enumerate(file, start=2):
        line = raw.strip()
        opened = line.rstrip("[").rstrip(":").strip('"')
        if line.endswith(":[") and opened in SECTIONS:
            section = opened
        elif line in ("],", "]}", ""):
            section = None if line else section
        elif section is not None:
            try:
                item = json.loads(line.rstrip(","))
            except ValueError as error:
                raise BadDocument(f"line {number}: {error}") from None
            yield section, _checked(section, item)
        else:
            raise BadDocument(f"line {number}: not where an export has data")


def _check_header(header: dict[str, Any]) -> None:
    if header.get("format") != FORMAT:
        raise BadDocument(f'not a configsvc export (its "format" is not "{FORMAT}")')
    if header.get("version") != FORMAT_VERSION:
        raise BadDocument(f"export format version {header.get('version')!r}; this configsvc reads {FORMAT_VERSION}")
    unknown = set(header) - {"format", "version", "exported_at", *SECTIONS}
    if unknown:
        # "schemas" among them, from a newer export: refusing beats silently dropping them.
        raise BadDocument(f"the document holds {', '.join(sorted(unknown))}, which this configsvc cannot import")


def _checked(section: str, item: Any) -> dict[str, Any]:
    required = APPLICATION_KEYS if section == "applications" else CONFIGURATION_KEYS
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        raise BadDocument(f"an item of {section} has no name")
    unknown = set(item) - required - INFORMATIVE
    if unknown:
        raise BadDocument(
            f"{section} item {item['name']!r} holds {', '.join(sorted(unknown))}, which this configsvc cannot import"
        )
    if section == "configurations" and not (
        isinstance(item.get("config"), dict) and isinstance(item.get("application"), str)
    ):
        raise BadDocument(f"configuration {item['name']!r} needs an application name and a config object")
    comments = item.get("comments")
    if comments is not None and not isinstance(comments, str):
        raise BadDocument(f"{section} item {item['name']!r}: comments must be a string or null")
    return item


@dataclass
class Tally:
    created: int = 0
    replaced: int = 0
    unchanged: int = 0
    skipped: int = 0


@dataclass
class Outcome:
    applications: Tally = field(default_factory=Tally)
    configurations: Tally = field(default_factory=Tally)
    conflicts: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"applications": asdict(self.applications), "configurations": asdict(self.configurations)}


class Importer:
    """Recreates a document's items by names. An item already there with the same content is left
    alone (so a second import changes nothing, not even versions); one that differs is a conflict:
    skipped, overwritten (guarded by the version read, If-Match) or reported, as asked. With
    `dry_run`, only counts and collects conflicts."""

    def __init__(self, client: Client, on_conflict: OnConflict, *, dry_run: bool = False) -> None:
        self.client = client
        self.on_conflict = on_conflict
        self.dry_run = dry_run
        self.outcome = Outcome()
        self._owner: str | None = None
        self._application_of: Application | None = None  # application `_owner`, when it exists
        self._existing: dict[str, Snapshot] = {}  # its configurations by name

    def apply(self, section: str, item: dict[str, Any]) -> None:
        if section == "applications":
            self._application(item)
        else:
            self._configuration(item)

    def _application(self, item: dict[str, Any]) -> None:
        tally, name, comments = self.outcome.applications, item["name"], item.get("comments")
        try:
            existing = self.client.application(name)
        except NotFound:
            if not self.dry_run:
                self.client.put_application(name, comments=comments)
            tally.created += 1
            return
        if existing.comments == comments:
            tally.unchanged += 1
        elif self._resolve(f"application {name!r}: its comments differ", tally):
            self.client.put_application(name, comments=comments)

    def _configuration(self, item: dict[str, Any]) -> None:
        tally, owner, name = self.outcome.configurations, item["application"], item["name"]
        current = self._existing_in(owner).get(name)
        comments, config = item.get("comments"), item["config"]
        if current is None:
            if not self.dry_run:
                # One request when the application is known (the usual case: the applications
                # section came first); by name otherwise, which creates the application.
                created = self.client.create(self._application_of or owner, name, config, comments=comments)
                self._existing[name] = created
            tally.created += 1
        elif current.comments == comments and canonical(current.config) == canonical(config):
            tally.unchanged += 1
        elif self._resolve(f"configuration {owner}/{name}: its content differs", tally):
            self._existing[name] = self.client.put(owner, name, config, comments=comments, if_match=current.etag)

    def _resolve(self, conflict: str, tally: Tally) -> bool:
        """Whether to write over an item that differs (counted either way)."""
        if self.on_conflict == "overwrite":
            tally.replaced += 1
            return not self.dry_run
        if self.on_conflict == "skip":
            tally.skipped += 1
        else:
            self.outcome.conflicts.append(conflict)
        return False

    def _existing_in(self, application: str) -> dict[str, Snapshot]:
        """The application's configurations by name, read a page at a time when import reaches
        it (an export lists each application's configurations together)."""
        if application != self._owner:
            self._owner = application
            try:
                self._application_of = self.client.application(application)
                self._existing = {s.name: s for s in self.client.configurations(self._application_of)}
            except NotFound:
                self._application_of, self._existing = None, {}
        return self._existing


def canonical(config: dict[str, Any]) -> str:
    """Configs compared as JSON text, not Python values: True == 1 in Python, not in JSON."""
    return json.dumps(config, sort_keys=True, separators=(",", ":"))


def write_summary(outcome: Outcome) -> None:
    sys.stdout.write(json.dumps(outcome.as_dict()) + "\n")
