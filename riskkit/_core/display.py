"""Compact rich display of result objects in Jupyter (``_repr_html_``).

One renderer for every result class of the kit: a title line with the headline figures,
a small key/value table and the head of one or more frames, each with a "n rows" note.
Everything shown is HTML-escaped (result text can carry customer names).  The renderer is
generic: each class says *what* to show through :meth:`HTMLReprMixin._display_parts`;
classes whose frames may hold personal data pass a ``mask`` (``riskkit.data.privacy.mask_pii``,
which this layer cannot import) that is applied to the rows shown.

The output is deterministic (no ids, addresses or timestamps), so committed notebook
outputs stay stable.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["HTMLReprMixin", "html_card", "format_number", "MAX_ROWS", "MAX_COLUMNS"]

#: rows of a frame shown in a card (head); the rest is summarised as "n rows"
MAX_ROWS = 10
#: columns of a frame shown in a card; the rest is named in the note
MAX_COLUMNS = 12

_STYLE = ("font-family:inherit;font-size:0.9em;border-collapse:collapse;margin:0.2em 0")
_CELL = "padding:0.1em 0.6em;text-align:left"


def format_number(value: Any) -> str:
    """Short text of a number: 4 significant digits, thousands separators for large ones.

    ``0.87134`` -> ``"0.8713"``, ``1234567.0`` -> ``"1,234,567"``, NaN -> ``"nan"``; other
    values go through ``str``.
    """
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v) or math.isinf(v):
            return str(v)
        if abs(v) >= 1e4:
            return f"{v:,.0f}"
        return f"{v:.4g}"
    if isinstance(value, pd.Timestamp):
        return str(value.date()) if value == value.normalize() else str(value)
    return str(value)


def _frame_html(name: str, frame: pd.DataFrame, max_rows: int, max_columns: int,
                mask: Callable[[pd.DataFrame], pd.DataFrame] | None) -> str:
    n_rows, n_cols = frame.shape
    head = frame.iloc[:max_rows]
    if mask is not None:  # before the columns are cut: masking a name needs the row's kind
        head = mask(head)
    head = head.iloc[:, :max_columns]
    note = [f"{n_rows:,} row{'s' if n_rows != 1 else ''}"]
    if n_rows > max_rows:
        note.append(f"first {max_rows} shown")
    if n_cols > max_columns:
        hidden = [str(c) for c in frame.columns[max_columns:]]
        more = f", ... ({len(hidden)} in all)" if len(hidden) > 5 else ""
        note.append(f"columns not shown: {', '.join(hidden[:5])}{more}")
    formatters = {c: format_number for c in head.columns
                  if pd.api.types.is_numeric_dtype(head[c]) and not pd.api.types.is_bool_dtype(head[c])}
    # a default 0..n-1 index says nothing: leave it out
    plain_index = isinstance(frame.index, pd.RangeIndex) and frame.index.name is None
    table = head.to_html(border=0, escape=True, formatters=formatters, index=not plain_index,
                         notebook=False, na_rep="")
    title = f"<b>{html.escape(name)}</b> " if name else ""
    return (f"<div>{title}<small>({html.escape('; '.join(note))})</small></div>\n{table}")


def html_card(title: str, *, headline: str = "", fields: Mapping[str, Any] | None = None,
              frames: Iterable[tuple[str, pd.DataFrame]] = (), max_rows: int = MAX_ROWS,
              max_columns: int = MAX_COLUMNS,
              mask: Callable[[pd.DataFrame], pd.DataFrame] | None = None) -> str:
    """Compact HTML of a result: title and headline, key/value table, heads of frames.

    Parameters
    ----------
    title : str
        What the object is (its class name, e.g. ``"AUCResult"``).
    headline : str
        The headline figures in one line (``"AUC 0.871, 95 % CI 0.820 to 0.922"``).
    fields : mapping, optional
        Further name -> value pairs for the key/value table (numbers via :func:`format_number`).
    frames : iterable of (name, DataFrame)
        Frames shown by their first ``max_rows`` rows and ``max_columns`` columns, each
        with a note of its size.
    mask : callable, optional
        Applied to the rows of each frame that are shown (personal data masking).

    Returns
    -------
    str
        An HTML fragment; all text is escaped with :func:`html.escape`.
    """
    parts = ['<div class="riskkit-result">',
             f"<div><b>{html.escape(title)}</b>"
             + (f": {html.escape(headline)}" if headline else "") + "</div>"]
    if fields:
        rows = "".join(f'<tr><th style="{_CELL}">{html.escape(str(k))}</th>'
                       f'<td style="{_CELL}">{html.escape(format_number(v))}</td></tr>'
                       for k, v in fields.items())
        parts.append(f'<table style="{_STYLE}">{rows}</table>')
    for name, frame in frames:
        if frame is not None:
            parts.append(_frame_html(name, frame, max_rows, max_columns, mask))
    parts.append("</div>")
    return "\n".join(parts)


class HTMLReprMixin:
    """Give a result class ``_repr_html_`` and a short ``__repr__`` from the parts it names.

    :meth:`_display_parts` returns the keyword arguments of :func:`html_card` (``title``
    defaults to the class name).  The default reads the object's own reporting methods: the
    headline is the first line of ``summary()`` (when it returns text) and the frame is
    ``to_frame()``; a class overrides it to say more.  ``__repr__`` is
    ``<ClassName: headline>``; a dataclass must be declared with ``repr=False`` to use it.
    """

    def _display_parts(self) -> dict:
        parts: dict[str, Any] = {}
        summary = getattr(self, "summary", None)
        if callable(summary):
            text = summary()
            if isinstance(text, str) and text.strip():
                parts["headline"] = text.strip().splitlines()[0]
        to_frame = getattr(self, "to_frame", None)
        if callable(to_frame):
            parts["frames"] = [("", to_frame())]
        return parts

    def _repr_html_(self) -> str:
        parts = dict(self._display_parts())
        parts.setdefault("title", type(self).__name__)
        return html_card(**parts)

    def __repr__(self) -> str:
        headline = self._display_parts().get("headline", "")
        return f"<{type(self).__name__}: {headline}>" if headline else f"<{type(self).__name__}>"
