"""The fetcher shared by every source kind: conditional GET over HTTP(S), or a file read.

One :class:`Fetcher` serves the whole process. It owns an asyncio event loop
in a daemon thread and one httpx transport (its connection pools); scheduler threads
call the blocking :meth:`Fetcher.fetch`, which hands the request to the loop and waits.
asyncio is used (rather than a synchronous client per thread) because
``asyncio.timeout`` gives a true wall-clock deadline over connect, headers,
redirects and body — read timeouts alone never fire on a server that trickles
one byte a second — and because one loop multiplexes hundreds of slow feeds
cheaply.

Every failure leaves :meth:`Fetcher.fetch` as a :class:`~warning.errors.FetchError`
subclass; no raw ``httpx`` or ``OSError`` escapes.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import dataclasses
import threading
import time
from dataclasses import dataclass
from types import TracebackType

import httpx

from .. import __version__
from ..errors import (
    FetchCancelled,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    TooManyRedirects,
)
from ..records import FetchResult
from .addresses import Guard, IPAddress, Resolver, system_resolve
from .files import fetch_file
from .http_errors import redirect_target, translate
from .transport import ShardedTransport, drain, read_body

DEFAULT_USER_AGENT = f"warning/{__version__} (feed poller)"

#: Sent with every HTTP request; feeds first, anything else accepted.
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
)

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CLOSE_WAIT = 5.0


@dataclass(frozen=True, slots=True)
class FetchLimits:
    """Timeouts and caps for one fetch; all times in seconds."""

    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    #: Wall clock for the whole fetch: connect, headers, redirects and body.
    #: Time spent queueing for a free slot (``concurrency``) is not counted.
    deadline: float = 60.0
    #: Cap on the decoded body.
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    user_agent: str = DEFAULT_USER_AGENT


@dataclass(frozen=True, slots=True)
class _Job:
    """One fetch as the loop sees it: the arguments of :meth:`Fetcher.fetch`, limits resolved."""

    url: str
    etag: str | None
    last_modified: str | None
    limits: FetchLimits
    learnt_from: str | None


def _httpx_timeout(limits: FetchLimits) -> httpx.Timeout:
    return httpx.Timeout(
        connect=limits.connect_timeout,
        read=limits.read_timeout,
        write=limits.read_timeout,
        pool=limits.connect_timeout,
    )


class Fetcher:
    """Conditional fetches of feed URLs (``http``, ``https``, ``file``).

    Thread-safe. Owns one asyncio event loop running in a daemon thread and
    one httpx transport whose connections (``concurrency`` in all) are split over
    small pools, see :class:`ShardedTransport`; callers in any thread block on
    :meth:`fetch`. At most ``concurrency`` requests are in flight at once;
    further callers queue, and the queueing does not count against their deadline.
    """

    def __init__(
        self,
        limits: FetchLimits = FetchLimits(),
        concurrency: int = 64,
        *,
        resolve: Resolver = system_resolve,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.limits = limits
        self.concurrency = concurrency
        #: Resolves the hosts that redirects and learnt URLs lead to, for the
        #: address check (:mod:`.addresses`); connections resolve on their own.
        self._resolve = resolve
        self._timeout = _httpx_timeout(limits)
        self._lock = threading.Lock()
        self._closed = False
        # Futures that callers are blocked on; close() fails them directly, so a
        # caller is released even if the loop is slow to wind down.
        self._pending: set[concurrent.futures.Future[FetchResult]] = set()
        self._tasks: set[asyncio.Task[FetchResult]] = set()
        self._loop = asyncio.new_event_loop()
        # Created outside the loop: neither binds to a loop until first used in it.
        self._semaphore = asyncio.Semaphore(concurrency)
        self._headers = {
            "User-Agent": limits.user_agent,
            "Accept": ACCEPT,
            "Accept-Encoding": "gzip",
        }
        # Requests go to the transport itself, not through an httpx.AsyncClient: the
        # client's layers (auth flow, its own redirects, cookie jar, event hooks, header
        # and URL merging) are work we do not use on every request, about 0.2 ms of
        # each conditional GET's CPU (docs/performance.md). No cookie is ever sent or
        # kept: cookies set by one site must neither leak between feeds nor pile up.
        self._transport = ShardedTransport(concurrency)
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="warning-fetcher", daemon=True
        )
        self._thread.start()

    # --- public ---------------------------------------------------------------

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        limits: FetchLimits | None = None,
        learnt_from: str | None = None,
    ) -> FetchResult:
        """Fetch ``url`` conditionally on ``etag``/``last_modified``; block until done.

        Returns ``status="ok"`` with the body, or ``status="not_modified"`` with an
        empty body. Raises a :class:`~warning.errors.FetchError` subclass on any
        failure, and :class:`~warning.errors.FetchCancelled` once :meth:`close`
        has been called.

        ``learnt_from`` is the configured URL whose answer named ``url`` (an index):
        ``url`` is then held to the rule for redirects from there
        (:class:`~.addresses.Guard`): no way from a public address into private space.
        """
        if self._closed:
            raise _cancelled(url)
        if threading.current_thread() is self._thread:
            raise RuntimeError("Fetcher.fetch() blocks; it cannot run on the fetcher's own loop")
        limits = limits or self.limits
        scheme, colon, _ = url.partition(":")
        scheme = scheme.lower() if colon else ""
        if scheme == "file":
            return fetch_file(url, etag, last_modified, limits.max_bytes)
        if scheme not in ("http", "https"):
            raise FetchError(
                f"unsupported URL scheme {scheme!r} in {url!r}"
                if scheme
                else f"no URL scheme in {url!r}",
                hint="feed urls must start with http://, https:// or file://",
            )
        future: concurrent.futures.Future[FetchResult] = concurrent.futures.Future()
        with self._lock:
            if self._closed:
                raise _cancelled(url)
            self._pending.add(future)
            # Scheduled under the lock, so it is queued before close()'s shutdown.
            job = _Job(url, etag, last_modified, limits, learnt_from)
            self._loop.call_soon_threadsafe(self._start, future, job)
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            raise _cancelled(url) from None
        finally:
            with self._lock:
                self._pending.discard(future)

    def close(self) -> None:
        """Cancel in-flight fetches, close the client and stop the loop; idempotent.

        Callers blocked in :meth:`fetch` get :class:`~warning.errors.FetchCancelled`
        at once; later calls to :meth:`fetch` raise it immediately.
        """
        if threading.current_thread() is self._thread:
            raise RuntimeError("Fetcher.close() waits for its loop; call it from another thread")
        with self._lock:
            if self._closed:
                return
            self._closed = True
            pending = list(self._pending)
        for future in pending:
            _settle(future, error=FetchCancelled("the fetcher is shutting down"))
        if self._loop.is_closed():
            return
        try:
            shutdown = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
            shutdown.result(timeout=_CLOSE_WAIT)
        except (RuntimeError, concurrent.futures.TimeoutError):
            pass  # the loop is already gone or stuck; the thread is a daemon anyway
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=_CLOSE_WAIT)
        if not self._thread.is_alive():
            self._loop.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- inside the loop ------------------------------------------------------

    def _start(self, future: concurrent.futures.Future[FetchResult], job: _Job) -> None:
        if future.done():  # close() got there first
            return
        task = self._loop.create_task(self._fetch(job))
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._finish(done, future))

    def _finish(
        self, task: asyncio.Task[FetchResult], future: concurrent.futures.Future[FetchResult]
    ) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            _settle(future, error=FetchCancelled("the fetcher is shutting down"))
        elif (error := task.exception()) is not None:
            _settle(future, error=error)
        else:
            _settle(future, result=task.result())

    async def _shutdown(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=_CLOSE_WAIT)
        await self._transport.aclose()

    async def _fetch(self, job: _Job) -> FetchResult:
        url, limits = job.url, job.limits
        async with self._semaphore:
            started = time.monotonic()
            deadline = asyncio.timeout(limits.deadline)
            try:
                async with deadline:
                    result = await self._follow(job)
            except FetchError:
                raise
            except TimeoutError as exc:
                if not deadline.expired():  # some other timeout: not ours to word
                    raise translate(exc, url, limits.connect_timeout, limits.read_timeout) from exc
                raise FetchTimeout(
                    f"deadline of {limits.deadline:g} s passed fetching {url}",
                    hint="the server is too slow or trickles its answer; "
                    "raise the feed's deadline only if it is known to be slow",
                ) from None
            except Exception as exc:  # everything else becomes a FetchError
                raise translate(exc, url, limits.connect_timeout, limits.read_timeout) from exc
            return dataclasses.replace(result, elapsed=time.monotonic() - started)

    async def _follow(self, job: _Job) -> FetchResult:
        url, etag, last_modified = job.url, job.etag, job.last_modified
        limits, learnt_from = job.limits, job.learnt_from
        headers = dict(self._headers)
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        if limits.user_agent != self.limits.user_agent:
            headers["User-Agent"] = limits.user_agent
        timeout = self._timeout if limits is self.limits else _httpx_timeout(limits)

        target = httpx.URL(url)
        # A URL named by a local file is the operator's own: as trusted as a configured one.
        if learnt_from is not None and not learnt_from.lower().startswith(("http:", "https:")):
            learnt_from = None
        guard = Guard(learnt_from or url, self._resolve)
        vetted = None  # the addresses the check found for target's host, if it ran
        if learnt_from is not None:
            vetted = await guard.check(target, f"the answer from {learnt_from} names {url}")
        seen = {target}
        received = 0
        hops = 0
        while True:
            response = await self._send(target, vetted, headers, timeout)
            try:
                status = response.status_code
                answered = url if hops == 0 else str(target)
                if status in _REDIRECT_STATUSES and "location" in response.headers:
                    await drain(response)
                    received += response.num_bytes_downloaded
                    target = redirect_target(response, answered)
                    hops += 1
                    if target in seen:
                        raise TooManyRedirects(
                            f"redirect loop fetching {url}: {answered} leads back to "
                            f"{target} after {hops} redirect(s)",
                            hint="the site redirects in a circle; check the feed url in a browser",
                        )
                    if hops > limits.max_redirects:
                        raise TooManyRedirects(
                            f"more than {limits.max_redirects} redirects fetching {url} "
                            f"(last {answered} -> {target})",
                            hint="point the feed url at the final address",
                        )
                    via = "" if hops == 1 else f" (fetching {url})"
                    vetted = await guard.check(target, f"{answered} redirects to {target}{via}")
                    seen.add(target)
                    continue
                if status == 304:
                    await response.aread()  # empty, but reading it keeps the connection alive
                    return FetchResult(
                        status="not_modified",
                        url=url,
                        final_url=answered,
                        etag=response.headers.get("etag") or etag,
                        last_modified=response.headers.get("last-modified") or last_modified,
                        http_status=304,
                        bytes_received=received + response.num_bytes_downloaded,
                    )
                if not 200 <= status < 300:
                    await drain(response)
                    raise HTTPStatusError(status, response.reason_phrase, answered)
                body = await read_body(response, answered, limits.max_bytes)
                return FetchResult(
                    status="ok",
                    url=url,
                    final_url=answered,
                    body=body,
                    etag=response.headers.get("etag"),
                    last_modified=response.headers.get("last-modified"),
                    http_status=status,
                    bytes_received=received + response.num_bytes_downloaded,
                )
            finally:
                await response.aclose()

    async def _send(
        self,
        target: httpx.URL,
        vetted: list[IPAddress] | None,
        headers: dict[str, str],
        timeout: httpx.Timeout,
    ) -> httpx.Response:
        """GET ``target``, its body left to stream.

        A host the address check vetted is reached at the addresses it vetted, never
        resolved again: a second answer could differ (DNS rebinding: public to the
        check, private to the connection). Its name still goes in the Host header and,
        over TLS, in the SNI and the certificate check. The addresses are tried in
        turn, as a connection by name would try them.
        """
        if not vetted:
            return await self._get(httpx.Request("GET", target, headers=headers), timeout)
        named = {**headers, "Host": target.netloc.decode("ascii")}
        unreachable: Exception | None = None
        for address in vetted:
            request = httpx.Request(
                "GET",
                target.copy_with(host=str(address)),
                headers=named,
                extensions={"sni_hostname": target.raw_host.decode("ascii")},
            )
            try:
                return await self._get(request, timeout)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                unreachable = exc
        assert unreachable is not None
        raise unreachable

    async def _get(self, request: httpx.Request, timeout: httpx.Timeout) -> httpx.Response:
        """Send ``request`` on the transport, the response's body left to stream.

        Credentials in the URL (``https://user:pass@host/feed``) go as Basic auth, as
        httpx's client sends them: a redirect keeps them only to a URL that carries
        them, the same host's (:func:`~.http_errors.redirect_target` joins onto ours).
        """
        request.extensions["timeout"] = timeout.as_dict()
        url = request.url
        if url.userinfo:
            pair = f"{url.username}:{url.password}".encode()
            request.headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        try:
            response = await self._transport.handle_async_request(request)
        except httpx.RequestError as exc:
            exc.request = request  # as the client sets it: the error names its URL
            raise
        response.request = request  # response.url, for redirect_target
        return response


# --- helpers -------------------------------------------------------------------


def _cancelled(url: str) -> FetchCancelled:
    return FetchCancelled(f"fetch of {url} cancelled: the fetcher is closed")


def _settle(
    future: concurrent.futures.Future[FetchResult],
    *,
    result: FetchResult | None = None,
    error: BaseException | None = None,
) -> None:
    """Complete ``future`` unless the other side (loop or close()) already did."""
    with contextlib.suppress(concurrent.futures.InvalidStateError):
        if error is not None:
            future.set_exception(error)
        elif result is not None:
            future.set_result(result)
