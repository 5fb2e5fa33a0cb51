"""Request/response messages: drill-down that needs the model (its twin is ``js/lib/rpc.ts``).

The view sends ``{"type": "interplay:request", "id": str, "method": str, "params": {...}}`` as a
custom message. The widget calls the handler registered for ``method`` and answers with
``{"type": "interplay:response", "id": ..., "ok": true, "result": ..., "buffer_paths": [...]}``,
the result's memoryviews (wire payloads) travelling as binary buffers, or with
``{"ok": false, "error": "a message that names the problem"}``. Handlers are cached per
(method, params) so asking again costs nothing; the JS side caches too and shows a "computing"
state while it waits (its timeout is 120 s, far above anywidget's default).
"""

from __future__ import annotations

import inspect
import json
import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from interplay.errors import InterplayError, ViewError
from interplay.widgets._serialize import MAX_MESSAGE_BYTES

log = logging.getLogger("interplay")

Handler = Callable[..., Any]
Reply = tuple[Any, list[list[str | int]], list[memoryview]]
#: the answers a view keeps (least recently asked dropped first): a burst of requests (scrolling
#: through every head) must not hold every reply it ever sent
CACHE_ENTRIES = 256
CACHE_BYTES = 64 * 2**20


def _remove_buffers(result: Any) -> tuple[Any, list[list[str | int]], list[memoryview]]:
    paths: list[list[str | int]] = []
    buffers: list[memoryview] = []

    def walk(x: Any, path: list[str | int]) -> Any:
        if isinstance(x, (memoryview, bytes, bytearray)):
            paths.append(path)
            buffers.append(memoryview(x))
            return None
        if isinstance(x, dict):
            return {k: walk(v, [*path, k]) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [walk(v, [*path, i]) for i, v in enumerate(x)]
        return x

    return walk(result, []), paths, buffers


def _check_params(method: str, handler: Handler, params: dict[str, Any]) -> None:
    """The names in ``params`` against what ``handler`` takes: none missing, none unknown."""
    try:
        sig = inspect.signature(handler)
    except (TypeError, ValueError):  # a builtin without a signature: let the call say
        return
    if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
        return
    takes = [n for n, p in sig.parameters.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    required = [n for n in takes if sig.parameters[n].default is inspect.Parameter.empty]
    missing = [n for n in required if n not in params]
    unknown = [k for k in params if k not in takes]
    if missing or unknown:
        problems = ([f"missing {missing}"] if missing else []) + ([f"unknown {unknown}"] if unknown else [])
        raise ViewError(f"request {method!r}: " + "; ".join(problems) + f"; it takes {takes} "
                        f"(required: {required})")


class RequestHandlers:
    """Mixed into a widget: ``self._handlers[method] = fn`` answers requests from the view."""

    _handlers: dict[str, Handler]
    _rpc_cache: OrderedDict[str, Reply]
    send: Callable[..., None]
    on_msg: Callable[..., None]

    def _init_rpc(self, handlers: dict[str, Handler]) -> None:
        self._handlers = handlers
        self._rpc_cache = OrderedDict()
        self.on_msg(self._on_custom_msg)

    def clear_cache(self) -> None:
        self._rpc_cache = OrderedDict()

    def _cached_reply(self, key: str, method: str, params: dict[str, Any]) -> Reply:
        """The reply for ``key`` from the cache (now the most recent) or computed and kept, the
        oldest replies dropped past ``CACHE_ENTRIES`` or ``CACHE_BYTES`` of buffers."""
        cache = self._rpc_cache
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
        reply = cache[key] = _remove_buffers(self.answer(method, params))
        while len(cache) > 1 and (len(cache) > CACHE_ENTRIES or
                                  sum(b.nbytes for _, _, bufs in cache.values() for b in bufs) > CACHE_BYTES):
            cache.popitem(last=False)
        return reply

    def answer(self, method: str, params: dict[str, Any]) -> Any:
        """What a request would answer (the result with its buffers in place): for tests and Python use.
        A method or parameters the handler does not take raise a ViewError naming them."""
        if not isinstance(method, str) or method not in self._handlers:
            what = "request method" if not isinstance(method, str) else "request"
            raise InterplayError(f"unknown {what} {method!r}; this view answers {sorted(self._handlers)}")
        handler = self._handlers[method]
        if not isinstance(params, dict):
            raise ViewError(f"request {method!r}: params must be an object of named parameters; got {params!r}")
        _check_params(method, handler, params)
        return handler(**params)

    def _on_custom_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict) or content.get("type") != "interplay:request":
            return
        rid, method, params = content.get("id"), content.get("method", ""), content.get("params") or {}
        key = json.dumps([method, params], sort_keys=True)
        try:
            result, paths, buffers = self._cached_reply(key, method, params)
            size = sum(b.nbytes for b in buffers) + len(json.dumps(result, default=str))
            if size > MAX_MESSAGE_BYTES:
                self._rpc_cache.pop(key, None)
                raise ViewError(f"the reply to request {method!r} ({size / 2**20:.1f} MiB) exceeds the "
                                f"{MAX_MESSAGE_BYTES / 2**20:.0f} MiB message limit; it was not sent: ask for less "
                                "(a smaller window, page or k)")
            self.send({"type": "interplay:response", "id": rid, "ok": True, "result": result,
                       "buffer_paths": paths}, buffers)
        except InterplayError as exc:
            self.send({"type": "interplay:response", "id": rid, "ok": False, "error": str(exc)})
        except KeyboardInterrupt:  # the kernel was interrupted mid-answer: the view must not wait for it
            self.send({"type": "interplay:response", "id": rid, "ok": False,
                       "error": f"request {method!r} was interrupted (KeyboardInterrupt in the kernel); ask again"})
            raise
        except Exception as exc:  # a bug: say what it was in the view, and log the traceback
            log.exception("interplay: request %r failed", method)
            self.send({"type": "interplay:response", "id": rid, "ok": False, "error": f"{type(exc).__name__}: {exc}"})
