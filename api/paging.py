"""Pagination with stable ordering: `limit` and `offset` in, `X-Total-Count` and `Link` out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request, Response

MAX_PAGE = 500


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int

    def headers(self, request: Request, response: Response, total: int) -> None:
        """Tell the client how many there are and where the neighbouring pages are."""
        response.headers["X-Total-Count"] = str(total)
        links = []
        if self.offset + self.limit < total:
            links.append(self._link(request, self.offset + self.limit, "next"))
        if self.offset > 0:
            links.append(self._link(request, max(0, self.offset - self.limit), "prev"))
        if links:
            response.headers["Link"] = ", ".join(links)

    def _link(self, request: Request, offset: int, relation: str) -> str:
        url = request.url.include_query_params(limit=self.limit, offset=offset)
        return f'<{url}>; rel="{relation}"'


async def page(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page.")] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip.")] = 0,
) -> Page:
    return Page(limit, offset)


PageDep = Annotated[Page, Depends(page)]
