"""The pages' static files (styles, scripts, ECharts, fonts' licences), served from memory.

They are shipped with salescore and do not change under a running server, so each is read from
disk once, on its first request, and then answered from memory: no file check, no thread and no
disk read per request (Starlette's :class:`StaticFiles` stats and reads each file on a worker
thread, chunk by chunk: about 16 hand-offs between threads for ECharts' 1 MB, each a wake-up of
an idle core on a virtual machine). Conditional requests (``If-None-Match``) are answered
``304``; a range request or a method other than GET goes through Starlette as before.
"""

from __future__ import annotations

import anyio
from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

__all__ = ["KeptStaticFiles"]


class KeptStaticFiles(StaticFiles):
    """:class:`StaticFiles` keeping each file it served whole (its bytes and headers)."""

    def __init__(self, *, directory: str) -> None:
        super().__init__(directory=directory)
        # Read and written on the server's event loop alone: no lock.
        self._kept: dict[str, tuple[bytes, dict[str, str]]] = {}

    async def get_response(self, path: str, scope: Scope) -> Response:
        asked = Headers(scope=scope)
        if scope["method"] != "GET" or "range" in asked:
            return await super().get_response(path, scope)
        found = self._kept.get(path)
        if found is None:
            response = await super().get_response(path, scope)
            if not isinstance(response, FileResponse) or response.status_code != 200:
                return response
            body = await anyio.Path(response.path).read_bytes()
            headers = {k: v for k, v in response.headers.items()
                       if k.lower() != "content-length"}
            found = self._kept[path] = (body, headers)
        body, headers = found
        etag = headers.get("etag")
        if etag is not None and etag in {t.strip() for t in
                                         asked.get("if-none-match", "").split(",")}:
            return Response(status_code=304, headers={k: v for k, v in headers.items()
                                                      if k.lower() in ("etag", "last-modified",
                                                                       "cache-control")})
        return Response(body, headers=headers)
