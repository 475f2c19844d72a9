import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from configsvc.views import kinds
from configsvc.views.keys import ApplicationsPage
from configsvc.views.reader import Reader
from scripts.seed import DEMO, seed

pytestmark = pytest.mark.anyio

APPLICATIONS = len(DEMO)
CONFIGURATIONS = sum(len(configurations) for _, configurations in DEMO.values())


async def test_seed_creates_the_demo_data_once(database):
    first = await seed(database)
    second = await seed(database)

    assert (first.applications_created, first.configurations_created) == (APPLICATIONS, CONFIGURATIONS)
    assert (second.applications_created, second.configurations_created) == (0, 0)
    reader = Reader(database, cache_bytes=0)
    billing = (await reader.value(kinds.APPLICATIONS, ApplicationsPage(1, None, "billing"))).json()[0]
    detail = (await reader.value(kinds.APPLICATION, billing["id"])).json()
    configurations = [
        (await reader.value(kinds.CONFIGURATION, config_id)).json() for config_id in detail["configuration_ids"]
    ]
    assert {c["name"] for c in configurations} == set(DEMO["billing"][1])


async def test_concurrent_seeds_do_not_fail_or_duplicate(database):
    reports = await asyncio.gather(seed(database), seed(database))

    assert sum(r.applications_created for r in reports) == APPLICATIONS
    assert sum(r.configurations_created for r in reports) == CONFIGURATIONS


def test_demo_data_is_realistic_and_varied():
    assert APPLICATIONS >= 4
    assert all(configurations for _, configurations in DEMO.values())
    assert any("staging" in configurations for _, configurations in DEMO.values())


ROOT = Path(__file__).resolve().parent.parent


def run_seed(database_url: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scripts.seed"],
        cwd=ROOT,
        env=os.environ | {"DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
def test_seed_twice_migrates_first_and_adds_nothing_the_second_time(empty_database_url):
    first = run_seed(empty_database_url)
    second = run_seed(empty_database_url)

    assert first.returncode == 0, first.stderr
    assert "5 application(s) and 13 configuration(s) created" in first.stdout
    assert second.returncode == 0, second.stderr
    assert "0 application(s) and 0 configuration(s) created" in second.stdout
