from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet

from townsquare.core.errors import NotFound
from townsquare.core.inputs import PAGE_DIGITS, whole_number


def page_count(items: int, per_page: int) -> int:
    """Pages needed for `items` (an empty list still has its first page)."""
    return max(1, -(-items // per_page))


def parse_page(request, last_page: int) -> int:
    """The requested page number; a page that is not a number or past the end is a 404."""
    page = whole_number(request.GET.get("page", "1"), digits=PAGE_DIGITS)
    if page is None:
        raise NotFound("That page does not exist.")
    if page < 1 or page > max(last_page, 1):
        raise NotFound(f"That page does not exist: there are {max(last_page, 1)} pages.")
    return page


def page_links(page: int, last_page: int, around: int = 2) -> list[int | None]:
    """Page numbers to link, with None where a run of pages is left out."""
    wanted = {1, last_page, *range(page - around, page + around + 1)}
    numbers = sorted(n for n in wanted if 1 <= n <= last_page)
    links: list[int | None] = []
    for n in numbers:
        if links and n - links[-1] > 1:
            links.append(None)
        links.append(n)
    return links


@dataclass(frozen=True)
class Page:
    """One page of a list, and where it stands among the pages."""

    items: list
    number: int
    last: int


def page_of(rows: QuerySet, page: int, per_page: int,
            shown: Callable[[QuerySet], QuerySet]) -> Page:
    """Page `page` of `rows` (counted as they are, read as `shown(rows)` makes them); a page
    past the end is a 404, like the forum's pages."""
    last = page_count(rows.count(), per_page)
    if not 1 <= page <= last:
        raise NotFound(f"That page does not exist: there are {last} pages.")
    start = (page - 1) * per_page
    return Page(items=list(shown(rows)[start:start + per_page]), number=page, last=last)
