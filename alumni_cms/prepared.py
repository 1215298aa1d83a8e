"""Querysets compiled to SQL once per database connection, then run with new values.

Django compiles a queryset to SQL every time it is evaluated. For the small queries of a public
page that costs more than running them: 0.2 ms for a one-table lookup by primary key, 0.5 ms
and more with `select_related` (measured in bench/README.md), while SQLite answers in 0.05 ms.
The busiest public pages (the news list and detail) run the same few query shapes with new
values on every request, so they build them here once:

    published_article = PreparedQuery(
        lambda pk: Article.objects.select_related("category").filter(pk=pk, state="published"),
        "pk",
    )
    article = published_article.first(pk=12)

The queryset is built by the ORM (so it stays in step with the models) with a marker value for
each named parameter, compiled once for each database connection, and the markers' places in
the compiled parameters are remembered. A call then runs the stored SQL with the new values
and turns the rows into model instances the way Django's own iterator does (`from_db`, the
related objects of `select_related`, converters such as SQLite's datetimes), so templates and
`assertNumQueries` see nothing different. Parameters must be integers (primary and foreign
keys); compiling fails loudly when a marker does not reach the SQL exactly once.
"""

import weakref
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, get_related_populators

# Markers no real key takes, small enough for every backend's integer range (Django turns
# lookups with out-of-range integers into "no rows" before any SQL is written).
_MARKER = -1_000_003


@dataclass(frozen=True)
class _Compiled:
    sql: str
    count_sql: str
    params: tuple
    count_params: tuple
    slots: dict  # name -> index in params
    count_slots: dict
    model: type[Model]
    converters: dict  # column -> the backend's converters (e.g. SQLite's text datetimes)
    compiler: object  # applies the converters; read only after compiling
    init_list: list
    model_columns: tuple[int, int]
    populators: list
    annotations: dict


class PreparedQuery:
    """A queryset shape with integer parameters, compiled once per database connection."""

    def __init__(self, build: Callable[..., QuerySet], *params: str):
        self._build = build
        self._names = params
        # One compiled form per connection object: each thread has its own connection, and
        # a compiler is tied to the connection it was made for.
        self._compiled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._model: type[Model] | None = None

    def __call__(self, *, limit: int | None = None, offset: int = 0, **values) -> list[Model]:
        """The rows for `values`, as model instances; `limit`/`offset` slice them in SQL."""
        connection, compiled = self._connection_and_compiled()
        params = self._params(compiled.params, compiled.slots, values)
        sql = compiled.sql
        if limit is not None:
            sql = f"{sql} LIMIT %s OFFSET %s"
            params += [limit, offset]
        elif offset:
            raise ValueError("an offset needs a limit")
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return self._instances(connection, compiled, rows)

    def first(self, **values) -> Model | None:
        """The first row for `values`, or None."""
        rows = self(limit=1, **values)
        return rows[0] if rows else None

    def count(self, **values) -> int:
        """How many rows `values` select (SQL COUNT over the same query, unordered)."""
        connection, compiled = self._connection_and_compiled()
        params = self._params(compiled.count_params, compiled.count_slots, values)
        with connection.cursor() as cursor:
            cursor.execute(compiled.count_sql, params)
            return cursor.fetchone()[0]

    def pages(self, **values) -> "PreparedRows":
        """The rows for `values` as something `django.core.paginator.Paginator` can page."""
        return PreparedRows(self, values)

    # Compiling

    def _connection_and_compiled(self):
        if self._model is None:
            self._model = self._build(**self._markers()).model
        connection = connections[router.db_for_read(self._model)]
        compiled = self._compiled.get(connection)
        if compiled is None:
            compiled = self._compiled[connection] = self._compile(connection)
        return connection, compiled

    def _markers(self) -> dict:
        return {name: _MARKER - index for index, name in enumerate(self._names)}

    def _compile(self, connection) -> _Compiled:
        markers = self._markers()
        queryset = self._build(**markers)
        if queryset._iterable_class is not ModelIterable:
            raise ImproperlyConfigured("PreparedQuery builds model rows, not values()")
        if queryset.query.is_sliced:
            raise ImproperlyConfigured("slice a PreparedQuery with limit= and offset=")
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        columns = [column[0] for column in compiler.select[: compiler.col_count]]
        if compiler.has_composite_fields(columns):
            raise ImproperlyConfigured("PreparedQuery does not read composite primary keys")
        counted = queryset.order_by().values("pk").query.get_compiler(connection=connection)
        inner_sql, count_params = counted.as_sql()
        klass_info = compiler.klass_info
        select_fields = klass_info["select_fields"]
        start, end = select_fields[0], select_fields[-1] + 1
        return _Compiled(
            sql=sql,
            count_sql=f"SELECT COUNT(*) FROM ({inner_sql}) prepared_count",
            params=tuple(params),
            count_params=tuple(count_params),
            slots=self._slots(params, markers),
            count_slots=self._slots(count_params, markers),
            model=klass_info["model"],
            converters=compiler.get_converters(columns),
            compiler=compiler,
            init_list=[column[0].target.attname for column in compiler.select[start:end]],
            model_columns=(start, end),
            populators=get_related_populators(klass_info, compiler.select, connection.alias),
            annotations=dict(compiler.annotation_col_map or {}),
        )

    @staticmethod
    def _slots(params, markers: dict) -> dict:
        slots = {}
        for name, marker in markers.items():
            found = [index for index, value in enumerate(params) if value == marker]
            if len(found) != 1:
                raise ImproperlyConfigured(
                    f"parameter {name!r} reaches the SQL {len(found)} times, not once"
                )
            slots[name] = found[0]
        return slots

    # Running

    def _params(self, compiled: tuple, slots: dict, values: dict) -> list:
        if values.keys() != slots.keys():
            raise TypeError(f"expected the parameters {sorted(slots)}, got {sorted(values)}")
        params = list(compiled)
        for name, value in values.items():
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"parameter {name!r} must be an integer, not {value!r}")
            params[slots[name]] = value
        return params

    @staticmethod
    def _instances(connection, compiled: _Compiled, rows: list) -> list[Model]:
        model = compiled.model
        start, end = compiled.model_columns
        if compiled.converters:
            rows = compiled.compiler.apply_converters(rows, compiled.converters)
        instances = []
        for row in rows:
            instance = model.from_db(connection.alias, compiled.init_list, row[start:end])
            for populator in compiled.populators:
                populator.populate(row, instance)
            for name, position in compiled.annotations.items():
                setattr(instance, name, row[position])
            instances.append(instance)
        return instances


class PreparedRows:
    """A prepared query with its values, sliceable and countable like a queryset (for paging)."""

    def __init__(self, query: PreparedQuery, values: dict):
        self._query = query
        self._values = values

    def count(self) -> int:
        return self._query.count(**self._values)

    def __getitem__(self, index: slice) -> list[Model]:
        if not isinstance(index, slice) or index.step is not None:
            raise TypeError("prepared rows are read by slices")
        start = index.start or 0
        if index.stop is None:
            raise TypeError("prepared rows need a slice with an end")
        return self._query(limit=max(index.stop - start, 0), offset=start, **self._values)
