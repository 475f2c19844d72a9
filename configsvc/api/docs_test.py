import re

import pytest

from test.client import app_client
from test.fakes import app_without_database

pytestmark = pytest.mark.anyio

URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\(\s*['"]?([^'")]+)""")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_docs_pages_need_nothing_outside_the_service(page):
    async with app_client(app_without_database()) as client:
        html = (await client.get(page)).text
        referenced = [a or b for a, b in URL.findall(html)]
        assets = {url: (await client.get(url)).status_code for url in referenced}
        spec = await client.get("/openapi.json")

    assert referenced  # the page does load scripts and styles...
    assert all(url.startswith("/") and not url.startswith("//") for url in referenced), referenced  # ...its own
    assert not re.search(r"https?://", html)
    assert set(assets.values()) == {200}, assets
    assert spec.status_code == 200
