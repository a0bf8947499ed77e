"""Rate decks as CSV: a header row naming columns of :data:`CSV_COLUMNS`, one rate a row."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from ..errors import InvalidArgument, InvalidArgumentType
from ._errors import RateDeckError
from ._rate import Rate

__all__ = ["CSV_COLUMNS", "read_rates", "write_rates"]

#: The columns of a rate deck CSV, in order. ``prefix`` and ``price`` are required.
CSV_COLUMNS = (
    "prefix",
    "area",
    "price",
    "unit_seconds",
    "first_increment",
    "next_increment",
    "connect_fee",
    "free_seconds",
    "grace_seconds",
    "min_charge",
    "max_charge",
    "effective_from",
    "effective_until",
    "window",
)
_INT_COLUMNS = {
    "unit_seconds",
    "first_increment",
    "next_increment",
    "free_seconds",
    "grace_seconds",
}
_DATE_COLUMNS = {"effective_from", "effective_until"}


def _rate_from_cells(cells: Mapping[str, str], line: int) -> Rate:
    values: dict[str, Any] = {}
    for column, raw in cells.items():
        cell = raw.strip()
        if cell == "":
            if column in ("prefix", "price"):
                raise RateDeckError("is empty", row=line, column=column)
            continue
        if column in _INT_COLUMNS:
            try:
                values[column] = int(cell)
            except ValueError:
                raise RateDeckError(
                    f"{cell!r} is not a whole number of seconds", row=line, column=column
                ) from None
        elif column in _DATE_COLUMNS:
            try:
                values[column] = datetime.fromisoformat(cell)
            except ValueError:
                raise RateDeckError(
                    f"{cell!r} is not an ISO 8601 date-time", row=line, column=column
                ) from None
        else:
            values[column] = cell
    try:
        return Rate(**values)
    except InvalidArgument as error:
        message = str(error)
        named = message.split(":", 1)[0]
        if named in CSV_COLUMNS:
            raise RateDeckError(message.split(": ", 1)[-1], row=line, column=named) from None
        raise RateDeckError(message, row=line) from None


def read_rates(text: str | io.TextIOBase) -> list[Rate]:
    """The rates of a deck: a header row naming columns of :data:`CSV_COLUMNS` (``prefix``
    and ``price`` required), one rate per row. A broken row raises :class:`RateDeckError`
    with its row number, column and reason."""
    if not isinstance(text, str | io.TextIOBase):
        raise InvalidArgumentType(
            f"text: expected the deck as a str or a text stream, got {text!r}"
        )
    stream = io.StringIO(text) if isinstance(text, str) else text
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        raise RateDeckError("the deck is empty: expected a header row", row=1) from None
    except csv.Error as error:
        raise RateDeckError(str(error), row=1) from None
    header = [h.strip().lower() for h in header]
    for column in header:
        if column not in CSV_COLUMNS:
            raise RateDeckError(f"unknown column {column!r}", row=1, column=column)
    for required in ("prefix", "price"):
        if required not in header:
            raise RateDeckError(f"missing required column {required!r}", row=1)
    if len(set(header)) != len(header):
        raise RateDeckError("a column is named twice", row=1)
    rates = []
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise RateDeckError(f"expected {len(header)} cells, got {len(row)}", row=line)
            rates.append(_rate_from_cells(dict(zip(header, row, strict=True)), line))
    except csv.Error as error:
        raise RateDeckError(str(error), row=reader.line_num) from None
    return rates


def write_rates(rates: Iterable[Rate]) -> str:
    """``rates`` as CSV with every column of :data:`CSV_COLUMNS`."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for rate in rates:
        writer.writerow(rate.to_row())
    return out.getvalue()
