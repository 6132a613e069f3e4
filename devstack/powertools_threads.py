"""Powertools' event handler per thread, for the local stack's API "containers".

Powertools keeps the request being resolved on class attributes (`BaseRouter.current_event` and
`.lambda_context`): one per process. That is right in Lambda, where a process serves one request at a time, and
wrong in the local stack, whose API containers are threads of one process (`ApiGatewayShim`): two requests at
once would read each other's query string, body and `Authorization` header. `install()` makes both attributes
per thread; the handler code is unchanged.
"""

from __future__ import annotations

import threading
from typing import Any

from aws_lambda_powertools.event_handler import api_gateway

_NAMES = ("current_event", "lambda_context")
_local = threading.local()


class _PerThread:
    """A class attribute whose value belongs to the thread that set it."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        try:
            return getattr(_local, self._name)
        except AttributeError:
            raise AttributeError(self._name) from None

    def __set__(self, instance: Any, value: Any) -> None:
        setattr(_local, self._name, value)


class _PerThreadRouterType(type(api_gateway.BaseRouter)):  # type: ignore[misc]
    """BaseRouter's metaclass, sending `BaseRouter.current_event = ...` to the thread's own value."""

    def __setattr__(cls, name: str, value: Any) -> None:
        if name in _NAMES:
            setattr(_local, name, value)
            return
        super().__setattr__(name, value)


def install() -> None:
    base = api_gateway.BaseRouter
    if isinstance(base, _PerThreadRouterType):
        return
    for name in _NAMES:
        type.__setattr__(base, name, _PerThread(name))
    base.__class__ = _PerThreadRouterType  # type: ignore[method-assign]
