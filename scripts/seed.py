"""`make seed`: idempotent demo data, written through the same repositories as the API (a second run adds nothing)."""

import asyncio
from dataclasses import dataclass
from typing import Any

from ulid import ULID

from configsvc import migrations
from configsvc.db.pool import Database
from configsvc.embedded_postgres import database_url
from configsvc.errors import Conflict
from configsvc.main import create_database
from configsvc.settings import Settings, settings_or_exit
from configsvc.unit_of_work import UnitOfWork
from configsvc.views import kinds
from configsvc.views.keys import ApplicationsPage
from configsvc.views.reader import Reader


def _service(name: str, port: int, replicas: int, flags: dict[str, bool]) -> dict[str, Any]:
    return {
        "service": {"name": name, "port": port, "replicas": replicas},
        "database": {"host": f"{name}-db.internal", "port": 5432, "pool": {"min": 2, "max": 20}, "ssl": True},
        "logging": {"level": "info", "format": "json"},
        "features": flags,
    }


DEMO: dict[str, tuple[str, dict[str, dict[str, Any]]]] = {
    "billing": (
        "Invoices, payments and refunds",
        {
            "production": _service("billing", 8080, 6, {"new_invoice_pdf": True, "sepa_instant": False}),
            "staging": _service("billing", 8080, 2, {"new_invoice_pdf": True, "sepa_instant": True}),
            "feature-flags": {"checkout_v2": {"enabled": True, "rollout_percent": 25, "allow": ["acme", "globex"]}},
        },
    ),
    "storefront": (
        "Public web shop",
        {
            "production": _service("storefront", 3000, 12, {"dark_mode": True, "recommendations": True}),
            "staging": _service("storefront", 3000, 2, {"dark_mode": True, "recommendations": False}),
            "cdn": {"origins": ["https://static-1.example", "https://static-2.example"], "ttl_seconds": 3600},
        },
    ),
    "search": (
        "Catalogue search API",
        {
            "production": _service("search", 9200, 4, {"synonyms": True}),
            "ranking": {"weights": {"title": 3.0, "description": 1.0, "tags": 1.5}, "min_score": 0.2},
        },
    ),
    "notifications": (
        None,
        {
            "production": _service("notifications", 8081, 3, {"sms": True, "push": True}),
            "rate-limits": {"email": {"per_minute": 600}, "sms": {"per_minute": 60}, "burst": 1.5},
        },
    ),
    "identity": (
        "Sign-in, sessions and tokens",
        {
            "production": _service("identity", 8443, 4, {"passkeys": True, "magic_links": False}),
            "staging": _service("identity", 8443, 1, {"passkeys": True, "magic_links": True}),
            "tokens": {"access_ttl_seconds": 900, "refresh_ttl_days": 30, "issuer": "https://id.example"},
        },
    ),
}


@dataclass
class SeedReport:
    applications_created: int = 0
    configurations_created: int = 0


async def seed(database: Database) -> SeedReport:
    """Create whatever demo data is missing; existing names are left as they are."""
    report = SeedReport()
    for app_name, (comments, configurations) in DEMO.items():
        async with UnitOfWork(database) as uow:
            try:
                await uow.applications.create(id=str(ULID()), name=app_name, comments=comments)
                await uow.commit()
                report.applications_created += 1
            except Conflict:
                pass  # seeded before (or concurrently): look it up below
        found = await Reader(database, cache_bytes=0).value(kinds.APPLICATIONS, ApplicationsPage(1, None, app_name))
        application_id = found.json()[0]["id"]
        for config_name, config in configurations.items():
            async with UnitOfWork(database) as uow:
                try:
                    await uow.configurations.create(
                        id=str(ULID()), application_id=application_id, name=config_name, comments=None, config=config
                    )
                    await uow.commit()
                    report.configurations_created += 1
                except Conflict:
                    pass
    return report


async def _seed_url(settings: Settings) -> SeedReport:
    database = create_database(settings)
    await database.open()
    try:
        return await seed(database)
    finally:
        await database.close()


def run(settings: Settings) -> SeedReport:
    """Seed the configured database (the embedded one when DATABASE_URL is empty)."""
    with database_url(settings.database_url, settings.data_dir) as url:
        migrations.apply(url)
        return asyncio.run(_seed_url(settings.model_copy(update={"database_url": url})))


if __name__ == "__main__":
    report = run(settings_or_exit("seed"))
    print(
        f"seed: {report.applications_created} application(s) and "
        f"{report.configurations_created} configuration(s) created; the rest already existed"
    )
