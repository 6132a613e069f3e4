"""A WSGI face for the API function, so WSGI test clients (schemathesis's, werkzeug's) can call it in-process:
each request becomes the API Gateway proxy event Lambda would get, and the handler's answer the response."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from devstack.apigw_events import proxy_event
from devstack.lambda_runtime import LambdaContext

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def wsgi_app(handler: Handler) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        # WSGI hands the path over as latin-1 of the raw bytes; API Gateway decodes it as UTF-8.
        path = environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8", "replace")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else None
        headers = {
            name[5:].replace("_", "-").title(): str(value)
            for name, value in environ.items()
            if name.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        event = proxy_event(
            environ["REQUEST_METHOD"], path, headers=headers, query=environ.get("QUERY_STRING", ""), body=body
        )
        response = handler(event, LambdaContext(function_name="srevents-ApiFunction"))
        status = int(response.get("statusCode", 500))
        out = [(name, str(value)) for name, value in (response.get("headers") or {}).items()]
        for name, values in (response.get("multiValueHeaders") or {}).items():
            out.extend((name, str(value)) for value in values if (name, str(value)) not in out)
        text = response.get("body") or ""
        payload = base64.b64decode(text) if response.get("isBase64Encoded") else text.encode("utf-8")
        out = [(n, v) for n, v in out if n.lower() != "content-length"] + [("Content-Length", str(len(payload)))]
        start_response(f"{status} {HTTPStatus(status).phrase}", out)
        return [payload]

    return app
