"""The dashboard's figures, aggregated in the database for one date range.

`Dashboard(start=…, end=…)` holds one object per section of the page (page views, most read,
what alumni like, sign-ups, donations, pushes, WeChat reads, followers), each in a module of
its own. Together they run a fixed number of queries whatever the range's length (each query
groups by day or by item in SQL, and runs once however many tables read it); every figure on
the page and in the CSV exports comes from one of their `Table`s, so the page, the charts and
the files always agree.
"""

from .base import Link, Table
from .dashboard import TABLES, Dashboard

__all__ = ["TABLES", "Dashboard", "Link", "Table"]
