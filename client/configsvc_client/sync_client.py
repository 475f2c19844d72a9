"""`Client`: the blocking shell over the plans in reads.py, writes.py and watching.py. It only
performs their steps (steps.py): sends requests with httpx, sleeps, reads and writes the cache."""

import contextlib
import os
import socket
import threading
import weakref
from collections.abc import Iterator
from typing import Any

import httpx

from configsvc_client import reads, watching, writes
from configsvc_client.backoff import Backoff
from configsvc_client.cache import LastKnownGood
from configsvc_client.models import Application, Model, Revision, Snapshot, T
from configsvc_client.request_builder import RequestBuilder
from configsvc_client.steps import Drop, Emit, Load, Plan, Sleep, Store, drive
from configsvc_client.writes import KEEP

CLOSED = "the configsvc client is closed"


class Client:
    """A client of one configsvc service. Thread-safe; close it (or use it as a context manager)
    when done: closing also ends, at once, any watch another thread is iterating.

    `token`: sent as `Authorization: Bearer`. `cache_dir`: where the last-known-good copies live
    (None: no cache). `timeout`: seconds for connecting and for each read. `wait`: how long each
    watching request is held by the service (it caps this at its WATCH_MAX_SECONDS).
    """

    def __init__(
        self,
        url: str,
        token: str | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        timeout: float = 10.0,
        *,
        wait: int = 30,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._builder = RequestBuilder(url, token=token, timeout=timeout)
        self._cache = LastKnownGood(cache_dir) if cache_dir is not None else None
        self._wait = wait
        self._http = httpx.Client(transport=transport, timeout=timeout)
        self._closed = threading.Event()
        # The connections' streams, so that close() can shut their sockets down: a blocking read
        # in another thread ends only then (closing a socket does not wake a thread reading it).
        self._streams: weakref.WeakSet[Any] = weakref.WeakSet()
        self._streams_lock = threading.Lock()

    def get(self, application: str, name: str, model: Model[T] | None = None) -> Snapshot[T]:
        """The configuration's current version; the cached one (stale) when the service cannot answer."""
        return self._run(reads.get(self._builder, application, name, model))

    def watch(
        self, application: str, name: str, model: Model[T] | None = None, *, since: Snapshot | None = None
    ) -> Iterator[Snapshot[T]]:
        """The current version, then each change, until the loop stops or the client is closed."""
        plan = watching.watch(self._builder, application, name, model, wait=self._wait, backoff=Backoff(), since=since)
        return self._iterate(plan)

    def put(
        self,
        application: str,
        name: str,
        config: dict[str, Any],
        *,
        if_match: str | None = None,
        comments: str | None = KEEP,
    ) -> Snapshot[dict[str, Any]]:
        """Create the configuration (its application too, if missing) or replace its config."""
        return self._run(writes.put(self._builder, application, name, config, comments=comments, if_match=if_match))

    def create(
        self,
        application: str | Application,
        name: str,
        config: dict[str, Any],
        *,
        comments: str | None = None,
    ) -> Snapshot[dict[str, Any]]:
        """Create a configuration that does not exist yet (Conflict if it does); `application` is
        a name (created when missing) or an Application, which saves a lookup per call."""
        return self._run(writes.create(self._builder, application, name, config, comments=comments))

    def delete(self, application: str, name: str, *, if_match: str | None = None) -> None:
        self._run(writes.delete(self._builder, application, name, if_match=if_match))

    def history(self, application: str, name: str, *, limit: int | None = None) -> list[Revision]:
        """The configuration's revisions, newest first."""
        return self._run(reads.history(self._builder, application, name, limit))

    def revision(self, application: str, name: str, version: int) -> Revision:
        return self._run(reads.revision(self._builder, application, name, version))

    def restore(self, application: str, name: str, version: int, *, if_match: str | None = None) -> Snapshot:
        """Write a new version with the content of `version`."""
        return self._run(writes.restore(self._builder, application, name, version, if_match=if_match))

    def application(self, name: str) -> Application:
        return self._run(reads.application(self._builder, name))

    def applications(self) -> Iterator[Application]:
        """Every application, fetched a page at a time as the loop goes."""
        return self._iterate(reads.applications(self._builder))

    def configurations(self, application: str | Application) -> Iterator[Snapshot]:
        """Every configuration of an application (its name, or an Application from `applications`),
        fetched a page at a time as the loop goes."""
        return self._iterate(reads.configurations(self._builder, application))

    def put_application(self, name: str, *, comments: str | None = KEEP) -> Application:
        """Create the application, or set its comments."""
        return self._run(writes.put_application(self._builder, name, comments=comments))

    def close(self) -> None:
        self._closed.set()
        with self._streams_lock:
            streams = list(self._streams)
        for stream in streams:
            with contextlib.suppress(OSError, AttributeError):  # closed already
                stream.get_extra_info("socket").shutdown(socket.SHUT_RDWR)
        self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _run(self, plan: Plan[T]) -> T:
        return drive(plan, self._perform)

    def _iterate(self, plan: Plan[None]) -> Iterator[Any]:
        try:
            step = next(plan)
            while not self._closed.is_set():
                if isinstance(step, Emit):
                    yield step.value
                    step = next(plan)
                    continue
                try:
                    outcome = self._perform(step)
                except httpx.TransportError as error:
                    if self._closed.is_set():
                        return  # the client was closed under the request
                    step = plan.throw(error)
                    continue
                step = plan.send(outcome)
        except StopIteration:
            return
        except RuntimeError:
            if not self._closed.is_set():
                raise
        finally:
            plan.close()

    def _perform(self, step: Any) -> Any:
        if isinstance(step, httpx.Request):
            if self._closed.is_set():
                raise RuntimeError(CLOSED)
            step.extensions["trace"] = self._trace
            return self._http.send(step)
        if isinstance(step, Sleep):
            self._closed.wait(step.seconds)
            return None
        if self._cache is None:
            return None
        if isinstance(step, Store):
            return self._cache.store(step.snapshot)
        if isinstance(step, Load):
            return self._cache.load(step.application, step.name)
        if isinstance(step, Drop):
            return self._cache.drop(step.application, step.name)
        raise TypeError(f"unknown step {step!r}")

    def _trace(self, event: str, info: dict[str, Any]) -> None:
        if event == "connection.connect_tcp.complete":
            with self._streams_lock:
                self._streams.add(info["return_value"])
