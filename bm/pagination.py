"""Page-at-a-time listing for tables that may hold 100,000 rows."""
from dataclasses import dataclass

from flask import current_app, request
from sqlalchemy import func, select

from .extensions import db


@dataclass
class Page:
    items: list
    number: int
    size: int
    total: int

    @property
    def pages(self):
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self):
        return self.number > 1

    @property
    def has_next(self):
        return self.number < self.pages

    @property
    def first_index(self):
        return 0 if not self.total else (self.number - 1) * self.size + 1

    @property
    def last_index(self):
        return min(self.total, self.number * self.size)


def paginate(query, size=None):
    """Run ``query`` for the page named by ``?page=`` and count the whole result."""
    size = size or current_app.config["BM_PAGE_SIZE"]
    number = max(1, request.args.get("page", 1, type=int) or 1)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    number = min(number, max(1, -(-total // size)))
    items = list(db.session.scalars(query.limit(size).offset((number - 1) * size)))
    return Page(items=items, number=number, size=size, total=total)
