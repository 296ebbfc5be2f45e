"""Columns the database fills itself."""

from django.db import models


class CurrentTransactionId(models.Func):
    """The writing transaction's id (PostgreSQL's pg_current_xact_id(), 64 bits: it never wraps around).

    SQLite has no transaction ids: 0, and a feed there is read in id order (one writer at a time)."""

    function = "pg_current_xact_id"
    template = "%(function)s()"
    arity = 0

    def as_sqlite(self, compiler, connection, **extra_context):
        return "0", []


class TransactionIdField(models.BigIntegerField):
    """A transaction id (PostgreSQL `xid8`), read as an int. Filled by the database (db_default), never by Python."""

    def db_type(self, connection):
        return "xid8" if connection.vendor == "postgresql" else "bigint"

    def rel_db_type(self, connection):
        return self.db_type(connection)

    def cast_db_type(self, connection):
        return self.db_type(connection)

    def from_db_value(self, value, expression, connection):
        return None if value is None else int(value)

    def get_db_prep_value(self, value, connection, prepared=False):
        value = super().get_db_prep_value(value, connection, prepared)
        # An xid8 takes a quoted literal ('123'): PostgreSQL has no xid8 = bigint operator.
        return str(value) if value is not None and connection.vendor == "postgresql" else value
