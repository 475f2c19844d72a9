import asyncio

import pytest

from configsvc.seed import DEMO, seed
from configsvc.unit_of_work import UnitOfWork

pytestmark = pytest.mark.anyio

APPLICATIONS = len(DEMO)
CONFIGURATIONS = sum(len(configurations) for _, configurations in DEMO.values())


async def test_seed_creates_the_demo_data_once(database):
    first = await seed(database)
    second = await seed(database)

    assert (first.applications_created, first.configurations_created) == (APPLICATIONS, CONFIGURATIONS)
    assert (second.applications_created, second.configurations_created) == (0, 0)
    async with UnitOfWork(database) as uow:
        billing = await uow.applications.get_by_name("billing")
        detail = await uow.applications.get(billing.id)
        configurations = [await uow.configurations.get(config_id) for config_id in detail.configuration_ids]
    assert {c.name for c in configurations} == set(DEMO["billing"][1])


async def test_concurrent_seeds_do_not_fail_or_duplicate(database):
    reports = await asyncio.gather(seed(database), seed(database))

    assert sum(r.applications_created for r in reports) == APPLICATIONS
    assert sum(r.configurations_created for r in reports) == CONFIGURATIONS


def test_demo_data_is_realistic_and_varied():
    assert APPLICATIONS >= 4
    assert all(configurations for _, configurations in DEMO.values())
    assert any("staging" in configurations for _, configurations in DEMO.values())
