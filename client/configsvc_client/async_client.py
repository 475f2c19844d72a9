"""`AsyncClient`: the asyncio shell over the same plans as `Client` (reads.py, writes.py,
watching.py); only the performing of their steps differs: requests are awaited (and abandoned at
once when the client closes), sleeps wait on the closing, cache files are read and written in a
worker thread so the event loop never waits on a disk."""

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

import httpx

from configsvc_client import reads, watching, writes
from configsvc_client.backoff import Backoff
from configsvc_client.cache import LastKnownGood
from configsvc_client.models import Application, Model, Revision, Snapshot, T
from configsvc_client.request_builder import RequestBuilder
from configsvc_client.steps import Drop, Emit, Load, Plan, Sleep, Store
from configsvc_client.sync_client import CLOSED
from configsvc_client.writes import KEEP


class _Closed(Exception):
    """The client closed while a step was being performed."""


class AsyncClient:
    """`Client`'s methods as coroutines; `watch` is an async iterator. Close it with `await
    aclose()` (or `async with`): that also ends, at once, a watch another task is iterating."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        timeout: float = 10.0,
        *,
        wait: int = 30,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._builder = RequestBuilder(url, token=token, timeout=timeout)
        self._cache = LastKnownGood(cache_dir) if cache_dir is not None else None
        self._wait = wait
        self._http = httpx.AsyncClient(transport=transport, timeout=timeout)
        self._closed = False
        # Resolved by aclose(): what sends and sleeps wait on beside their own work (a future, not
        # a task, so that nothing is left running once they end). Made in the loop that uses it.
        self._closing: asyncio.Future[None] | None = None

    async def get(self, application: str, name: str, model: Model[T] | None = None) -> Snapshot[T]:
        """The configuration's current version; the cached one (stale) when the service cannot answer."""
        return await self._run(reads.get(self._builder, application, name, model))

    def watch(
        self, application: str, name: str, model: Model[T] | None = None, *, since: Snapshot | None = None
    ) -> AsyncIterator[Snapshot[T]]:
        """The current version, then each change, until the loop stops or the client is closed."""
        plan = watching.watch(self._builder, application, name, model, wait=self._wait, backoff=Backoff(), since=since)
        return self._iterate(plan)

    async def put(
        self,
        application: str,
        name: str,
        config: dict[str, Any],
        *,
        if_match: str | None = None,
        comments: str | None = KEEP,
    ) -> Snapshot[dict[str, Any]]:
        """Create the configuration (its application too, if missing) or replace its config."""
        plan = writes.put(self._builder, application, name, config, comments=comments, if_match=if_match)
        return await self._run(plan)

    async def create(
        self,
        application: str | Application,
        name: str,
        config: dict[str, Any],
        *,
        comments: str | None = None,
    ) -> Snapshot[dict[str, Any]]:
        """Create a configuration that does not exist yet (Conflict if it does); `application` is
        a name (created when missing) or an Application, which saves a lookup per call."""
        return await self._run(writes.create(self._builder, application, name, config, comments=comments))

    async def delete(self, application: str, name: str, *, if_match: str | None = None) -> None:
        await self._run(writes.delete(self._builder, application, name, if_match=if_match))

    async def history(self, application: str, name: str, *, limit: int | None = None) -> list[Revision]:
        """The configuration's revisions, newest first."""
        return await self._run(reads.history(self._builder, application, name, limit))

    async def revision(self, application: str, name: str, version: int) -> Revision:
        return await self._run(reads.revision(self._builder, application, name, version))

    async def restore(self, application: str, name: str, version: int, *, if_match: str | None = None) -> Snapshot:
        """Write a new version with the content of `version`."""
        return await self._run(writes.restore(self._builder, application, name, version, if_match=if_match))

    async def application(self, name: str) -> Application:
        return await self._run(reads.application(self._builder, name))

    def applications(self) -> AsyncIterator[Application]:
        """Every application, fetched a page at a time as the loop goes."""
        return self._iterate(reads.applications(self._builder))

    def configurations(self, application: str | Application) -> AsyncIterator[Snapshot]:
        """Every configuration of an application (its name, or an Application from `applications`),
        fetched a page at a time as the loop goes."""
        return self._iterate(reads.configurations(self._builder, application))

    async def put_application(self, name: str, *, comments: str | None = KEEP) -> Application:
        """Create the application, or set its comments."""
        return await self._run(writes.put_application(self._builder, name, comments=comments))

    async def aclose(self) -> None:
        self._closed = True
        if self._closing is not None and not self._closing.done():
            self._closing.set_result(None)
        await self._http.aclose()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _run(self, plan: Plan[T]) -> T:
        try:
            step = next(plan)
            while True:
                if isinstance(step, Emit):
                    raise TypeError("an iterating plan run as a call")
                try:
                    outcome = await self._perform(step)
                except httpx.TransportError as error:
                    step = plan.throw(error)
                    continue
                except _Closed:
                    raise RuntimeError(CLOSED) from None
                step = plan.send(outcome)
        except StopIteration as done:
            return done.value
        finally:
            plan.close()

    async def _iterate(self, plan: Plan[None]) -> AsyncIterator[Any]:
        try:
            step = next(plan)
            while not self._closed:
                if isinstance(step, Emit):
                    yield step.value
                    step = next(plan)
                    continue
                try:
                    outcome = await self._perform(step)
                except _Closed:
                    return
                except httpx.TransportError as error:
                    if self._closed:
                        return
                    step = plan.throw(error)
                    continue
                step = plan.send(outcome)
        except StopIteration:
            return
        finally:
            plan.close()

    async def _perform(self, step: Any) -> Any:
        if isinstance(step, httpx.Request):
            return await self._send(step)
        if isinstance(step, Sleep):
            await asyncio.wait({self._closing_future()}, timeout=step.seconds)
            return None
        if self._cache is None:
            return None
        if isinstance(step, Store):
            return await asyncio.to_thread(self._cache.store, step.snapshot)
        if isinstance(step, Load):
            return await asyncio.to_thread(self._cache.load, step.application, step.name)
        if isinstance(step, Drop):
            return await asyncio.to_thread(self._cache.drop, step.application, step.name)
        raise TypeError(f"unknown step {step!r}")

    async def _send(self, request: httpx.Request) -> httpx.Response:
        """Send, unless the client closes first: then the request is abandoned at once (a held one
        would otherwise keep its task for up to `wait` seconds)."""
        if self._closed:
            raise _Closed
        sending = asyncio.ensure_future(self._http.send(request))
        try:
            await asyncio.wait({sending, self._closing_future()}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not sending.done():
                sending.cancel()
                # Waited for, so no task outlives the call (asyncio.wait neither raises the task's
                # CancelledError nor swallows one aimed at us).
                await asyncio.wait({sending})
        if sending.cancelled():
            raise _Closed
        return sending.result()

    def _closing_future(self) -> asyncio.Future[None]:
        if self._closing is None:
            self._closing = asyncio.get_running_loop().create_future()
            if self._closed:
                self._closing.set_result(None)
        return self._closing
