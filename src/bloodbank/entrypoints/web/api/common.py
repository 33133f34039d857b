"""What every API router shares: pagination and the envelope of a list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Generic, Sequence, TypeVar

from fastapi import Path, Query
from pydantic import BaseModel, Field

from bloodbank.domain.ids import MAX_ID

T = TypeVar("T")

MAX_PAGE = 200
# Record ids (domain.ids): an absurd number is refused by validation before any query.
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
IdField = Annotated[int, Field(ge=1, le=MAX_ID)]


@dataclass(frozen=True)
class PageParams:
    limit: int
    offset: int


def page_params(
    limit: int = Query(50, ge=1, le=MAX_PAGE, description="How many items to return (at most 200)."),
    offset: int = Query(0, ge=0, le=10_000_000, description="How many items to skip."),
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
    total_capped: bool = Field(False, description="The count stopped early: there are at least `total` "
                                                  "matches, and a narrower search finds the one wanted.")


def paginate(items: Sequence[Any], page: PageParams) -> dict:
    """A page of a list the use case returned whole (lists bounded by the use case itself)."""
    return {"items": list(items[page.offset:page.offset + page.limit]), "total": len(items),
            "limit": page.limit, "offset": page.offset}
