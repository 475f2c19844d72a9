"""The operator's tokens CLI (needs the database, as `make migrate` does):

    python -m scripts.tokens create NAME --scope SCOPE [--scope ...] [--expires-in DAYS]
    python -m scripts.tokens list | revoke NAME_OR_ID | disable

`create` prints the secret alone on stdout (so `TOKEN=$(make -s token ...)` works); it is shown
once and never stored. The first token turns access control on; `disable` turns it off again
(revoking every token does not)."""

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime, timedelta

import psycopg2
from ulid import ULID

from configsvc import migrations
from configsvc.access.principal import InvalidScope
from configsvc.access.secrets import digest, new_secret
from configsvc.db.pool import Database
from configsvc.db.session import Session
from configsvc.embedded_postgres import EmbeddedPostgresMissing, database_url
from configsvc.errors import DomainError
from configsvc.repositories.audit import Author
from configsvc.repositories.tokens import TokensRepository
from configsvc.settings import SettingsError, load_settings
from configsvc.unit_of_work import UnitOfWork

# What the audit says made a token from here: no token, but the operator's command.
OPERATOR = Author(request_id="scripts.tokens")


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(prog="python -m scripts.tokens", description=__doc__.split("\n\n")[0])
    commands = cli.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create a token and print its secret")
    create.add_argument("name")
    create.add_argument(
        "--scope",
        action="append",
        required=True,
        help="admin, metrics, read:*, write:*, read:APPLICATION or write:APPLICATION (name or id); repeatable",
    )
    create.add_argument("--expires-in", type=float, metavar="DAYS", help="it stops working after this many days")
    commands.add_parser("list", help="list tokens (never their secrets), one JSON object a line")
    revoke = commands.add_parser("revoke", help="revoke a token by name or id")
    revoke.add_argument("token")
    commands.add_parser("disable", help="stop enforcing tokens (until the next token is created)")
    return cli


async def run(dsn: str, args: argparse.Namespace) -> str | None:
    database = Database(dsn, min_size=0, max_size=1, lease_timeout=10, statement_timeout_ms=10_000)
    await database.open()
    try:
        if args.command == "create":
            secret = new_secret()
            expires_at = None if args.expires_in is None else datetime.now(UTC) + timedelta(days=args.expires_in)
            async with UnitOfWork(database, OPERATOR) as uow:
                await uow.tokens.create(
                    id=str(ULID()), name=args.name, digest=digest(secret), scopes=args.scope, expires_at=expires_at
                )
                await uow.commit()
            return secret
        if args.command == "list":
            async with Session(database, autocommit=True) as session:
                tokens, after = [], None
                while True:
                    page = await TokensRepository(session).page(limit=1000, after=after)
                    tokens += page.json()
                    if page.next_cursor is None:
                        return "\n".join(json.dumps(token) for token in tokens) or None
                    after = page.next_cursor
        async with UnitOfWork(database, OPERATOR) as uow:
            if args.command == "revoke":
                await uow.tokens.revoke(await uow.tokens.find(args.token))
            else:
                await uow.tokens.set_enforced(False)
            await uow.commit()
        return None
    finally:
        await database.close()


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "create" and args.expires_in is not None and args.expires_in <= 0:
        print("tokens: --expires-in must be a positive number of days", file=sys.stderr)
        return 2
    try:
        settings = load_settings()
        with database_url(settings.database_url, settings.data_dir) as dsn:
            migrations.apply(dsn)
            output = asyncio.run(run(dsn, args))
    except (SettingsError, EmbeddedPostgresMissing, migrations.MigrationError) as error:
        print(f"tokens: {error}", file=sys.stderr)
        return 1
    except (DomainError, InvalidScope) as error:
        print(f"tokens: {getattr(error, 'message', error)}", file=sys.stderr)
        return 1
    except psycopg2.Error as error:
        print(f"tokens: cannot reach the database: {str(error).strip()}", file=sys.stderr)
        return 1
    if output:
        print(output)
    if args.command == "disable":
        print("tokens: access control is off until the next token is created", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
