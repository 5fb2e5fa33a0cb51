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

import json
import logging
from collections.abc import Callable
from typing import Any

from interplay.errors import InterplayError

log = logging.getLogger("interplay")

Handler = Callable[..., Any]


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


class RequestHandlers:
    """Mixed into a widget: ``self._handlers[method] = fn`` answers requests from the view."""

    _handlers: dict[str, Handler]
    _rpc_cache: dict[str, tuple[Any, list[list[str | int]], list[memoryview]]]
    send: Callable[..., None]
    on_msg: Callable[..., None]

    def _init_rpc(self, handlers: dict[str, Handler]) -> None:
        self._handlers = handlers
        self._rpc_cache = {}
        self.on_msg(self._on_custom_msg)

    def clear_cache(self) -> None:
        self._rpc_cache = {}

    def answer(self, method: str, params: dict[str, Any]) -> Any:
        """What a request would answer (the result with its buffers in place): for tests and Python use."""
        if method not in self._handlers:
            raise InterplayError(f"unknown request {method!r}; this view answers {sorted(self._handlers)}")
        return self._handlers[method](**params)

    def _on_custom_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict) or content.get("type") != "interplay:request":
            return
        rid, method, params = content.get("id"), content.get("method", ""), content.get("params") or {}
        key = json.dumps([method, params], sort_keys=True)
        try:
            if key not in self._rpc_cache:
                self._rpc_cache[key] = _remove_buffers(self.answer(method, params))
            result, paths, buffers = self._rpc_cache[key]
            self.send({"type": "interplay:response", "id": rid, "ok": True, "result": result,
                       "buffer_paths": paths}, buffers)
        except InterplayError as exc:
            self.send({"type": "interplay:response", "id": rid, "ok": False, "error": str(exc)})
        except Exception as exc:  # a bug: say what it was in the view, and log the traceback
            log.exception("interplay: request %r failed", method)
            self.send({"type": "interplay:response", "id": rid, "ok": False, "error": f"{type(exc).__name__}: {exc}"})
