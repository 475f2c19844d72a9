"""Every request the client sends, built whole here (URL, headers, timeout), so that the sync and
async shells only send them."""

import uuid
from importlib import metadata
from typing import Any

import httpx

API_PREFIX = "/api/v1"


def _version() -> str:
    try:
        return metadata.version("configsvc-client")
    except metadata.PackageNotFoundError:  # imported from a source tree that was never installed
        return "0+unknown"


VERSION = _version()
USER_AGENT = f"configsvc-client/{VERSION} python-httpx/{httpx.__version__}"


def new_request_id() -> str:
    """A fresh X-Request-ID: the service logs it and puts it in its problem's `instance`."""
    return str(uuid.uuid4())


class RequestBuilder:
    """Requests to one service, with its token. `timeout` bounds connecting and each read; a held
    (watching) request may take its `wait` on top of it."""

    def __init__(self, url: str, *, token: str | None = None, timeout: float = 10.0) -> None:
        base = url.rstrip("/")
        self.base_url = base if base.endswith(API_PREFIX) else base + API_PREFIX
        self.origin = httpx.URL(self.base_url).copy_with(path="/", query=None)
        self.timeout = timeout
        self._headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"

    def build(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        wait: int | None = None,
    ) -> httpx.Request:
        """`path` is relative to /api/v1 ("/configurations/by-name"), or a path the service gave
        (a Link target, which starts with /api/v1 itself)."""
        url = self.origin.join(path) if path.startswith(API_PREFIX) else httpx.URL(self.base_url + path)
        all_headers = self._headers | {"X-Request-ID": new_request_id()} | (headers or {})
        read = self.timeout + (wait or 0)
        timeout = httpx.Timeout(self.timeout, read=read)
        return httpx.Request(
            method, url, params=params, json=json, headers=all_headers, extensions={"timeout": timeout.as_dict()}
        )

    def by_name(
        self, application: str, name: str, *, etag: str | None = None, wait: int | None = None
    ) -> httpx.Request:
        """GET a configuration by names; with `etag` and `wait`, held while that ETag is current."""
        headers = {}
        if etag is not None:
            headers["If-None-Match"] = etag
            if wait:
                headers["Prefer"] = f"wait={wait}"
        held = wait if etag is not None else None
        params = {"application": application, "name": name}
        return self.build("GET", "/configurations/by-name", params=params, headers=headers, wait=held)

    def replace(self, configuration_id: str, body: dict[str, Any], *, if_match: str | None) -> httpx.Request:
        return self.build("PUT", f"/configurations/{configuration_id}", json=body, headers=_if_match(if_match))

    def create(self, body: dict[str, Any]) -> httpx.Request:
        # A create timed out and retried by the caller must not create twice.
        headers = {"Idempotency-Key": new_request_id()}
        return self.build("POST", "/configurations", json=body, headers=headers)

    def delete(self, configuration_id: str, *, if_match: str | None) -> httpx.Request:
        return self.build("DELETE", f"/configurations/{configuration_id}", headers=_if_match(if_match))

    def revisions(self, configuration_id: str, *, limit: int, before: int | None = None) -> httpx.Request:
        params: dict[str, Any] = {"limit": limit}
        if before is not None:
            params["before"] = before
        return self.build("GET", f"/configurations/{configuration_id}/revisions", params=params)

    def revision(self, configuration_id: str, version: int) -> httpx.Request:
        return self.build("GET", f"/configurations/{configuration_id}/revisions/{version}")

    def restore(self, configuration_id: str, version: int, *, if_match: str | None) -> httpx.Request:
        path = f"/configurations/{configuration_id}/revisions/{version}/restore"
        return self.build("POST", path, headers=_if_match(if_match))

    def applications(self, *, name: str | None = None, limit: int = 1000) -> httpx.Request:
        params: dict[str, Any] = {"limit": limit}
        if name is not None:
            params["name"] = name
        return self.build("GET", "/applications", params=params)

    def create_application(self, body: dict[str, Any]) -> httpx.Request:
        return self.build("POST", "/applications", json=body, headers={"Idempotency-Key": new_request_id()})

    def replace_application(self, application_id: str, body: dict[str, Any]) -> httpx.Request:
        return self.build("PUT", f"/applications/{application_id}", json=body)

    def configurations_of(self, application_id: str, *, limit: int = 1000) -> httpx.Request:
        return self.build("GET", f"/applications/{application_id}/configurations", params={"limit": limit})

    def next_page(self, response: httpx.Response) -> httpx.Request | None:
        """The request for the page after `response`'s, from its Link rel="next"; None on the last."""
        target = response.links.get("next", {}).get("url")
        return None if target is None else self.build("GET", target)


def _if_match(etag: str | None) -> dict[str, str]:
    return {} if etag is None else {"If-Match": etag}
