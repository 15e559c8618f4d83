"""Display helpers shared by the report notebooks: one way to show a table (they compute nothing).

:func:`format_table` is the one formatter every report table goes through, so that the same
kind of number looks the same in every report:

=============  ===========================================  ==================================
kind           shown as                                     chosen by
=============  ===========================================  ==================================
money          value / ``scale`` with thousands separators   ``money=[...]`` (never guessed: the
               and ``money_decimals`` decimals; the unit     unit must be stated)
               is stated once, in the caption
rate           per cent with ``rate_decimals`` decimals      ``rates=[...]``, or a numeric
               (PDs, default rates, shares, utilisation)     column named ``pd``, ``pd_*``,
                                                            ``*_pd``, ``*rate``, ``*share``,
                                                            ``utilisation``, ``capture``,
                                                            ``*_capture``
count          integer with thousands separators            ``counts=[...]``, or an integer
                                                            column, or a numeric column named
                                                            ``n``, ``n_*``, ``*_count``
year           the year as it is (``2024``, no separator)     a column named ``year``, ``*_year``
date           ``YYYY-MM-DD`` (no time)                      ``dates=[...]``, or a datetime
                                                            column
other number   at most four decimals; ``<0.0001`` below     everything else numeric
               that, thousands separators from 1,000
text           as it is; a number with more than four           text columns, row and column
               decimals inside it is rounded to four           labels
               (bin labels such as ``[0.180929, 0.244187)``)
verdict        coloured cell: green = good, amber =         ``verdicts=[...]``
               watch, red = bad (first word of the text)
missing        an em dash (—)                               any kind
=============  ===========================================  ==================================

With ``by="index"`` the lists and the naming convention apply to the row labels instead
(key-value tables whose rows are different measures).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["round_floats", "format_table", "FormattedTable", "VERDICT_COLOURS", "EM_DASH", "findings",
           "KeyFindings"]

EM_DASH = "\u2014"

#: the colours of a verdict, the same in every report: green good, amber watch, red bad
VERDICT_COLOURS = {
    "green": "background-color: #c6efce; color: #006100",
    "amber": "background-color: #ffeb9c; color: #9c5700",
    "red": "background-color: #ffc7ce; color: #9c0006",
}

_RATE_NAME = re.compile(r"^(pd|pd_.*|.*_pd|.*rate|.*share|utilisation|utilization|capture|.*_capture)$")
_COUNT_NAME = re.compile(r"^(n|n_.*|.*_count)$")
#: a decimal number with more than four decimals inside a text (bin labels such as "[0.180929, 0.244187)")
_LONG_DECIMAL = re.compile(r"(?<![\w.])-?\d+\.\d{5,}(?![\w.])")
#: a table with more columns than this is set in a smaller font so that it fits the page
WIDE = 9


def round_floats(table: pd.DataFrame, decimals: int = 4) -> pd.DataFrame:
    """Round every float for display, also inside object (mixed key-value) columns.

    ``DataFrame.round`` leaves object columns alone, so a column holding a name in one row
    and a ratio in the next would print 17 digits; here each Python or NumPy float is
    rounded wherever it sits, other values (text, integers, dates, missing) are kept as
    they are, and every column keeps its dtype.
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a DataFrame, got {type(table).__name__}")

    def column(values: pd.Series) -> pd.Series:
        cells = [round(v, decimals) if isinstance(v, float) else v for v in values]
        return pd.Series(cells, index=values.index, dtype=values.dtype, name=values.name)

    return table.apply(column) if len(table.columns) else table.copy()


# ------------------------------------------------------------------------------- cells
def _missing(value) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    try:
        return bool(isinstance(value, float) and math.isnan(value))
    except TypeError:
        return False


def _number(value: float) -> str:
    """A float that is not money, a rate or a count: at most four decimals."""
    if not math.isfinite(value):
        return "∞" if value > 0 else ("-∞" if value < 0 else EM_DASH)
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude < 1e-4:
        return "<0.0001" if value > 0 else ">-0.0001"
    if magnitude >= 1000:
        return f"{value:,.1f}"
    return f"{value:.4f}"


def _cell(value) -> str:
    """Any cell of a column without a kind (text, mixed key-value columns)."""
    if _missing(value):
        return EM_DASH
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        return _number(float(value))
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return _LONG_DECIMAL.sub(lambda m: _number(float(m.group(0))), str(value))


def _kind(name, values: pd.Series, explicit: dict) -> str:
    if name in explicit:
        return explicit[name]
    dtype = values.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "date"
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        return "other"
    label = str(name).lower()
    if label == "year" or label.endswith("_year"):
        return "year"
    if _RATE_NAME.match(label):
        return "rate"
    if pd.api.types.is_integer_dtype(dtype) or _COUNT_NAME.match(label):
        return "count"
    return "other"


def _format_values(values: pd.Series, kind: str, scale: float, money_decimals: int, rate_decimals: int) -> list:
    out = []
    for value in values:
        if _missing(value):
            out.append(EM_DASH)
        elif kind == "money" and isinstance(value, (int, float, np.integer, np.floating)):
            out.append(f"{float(value) / scale:,.{money_decimals}f}")
        elif kind == "rate" and isinstance(value, (int, float, np.integer, np.floating)):
            out.append(f"{float(value):.{rate_decimals}%}")
        elif kind == "count" and isinstance(value, (int, float, np.integer, np.floating)):
            out.append(f"{float(value):,.0f}")
        elif kind == "year" and isinstance(value, (int, float, np.integer, np.floating)):
            out.append(f"{float(value):.0f}")
        elif kind == "date" and isinstance(value, (pd.Timestamp, np.datetime64)):
            out.append(pd.Timestamp(value).strftime("%Y-%m-%d"))
        else:
            out.append(_cell(value))
    return out


def _label(value) -> str:
    if isinstance(value, tuple):
        return " / ".join(_label(v) for v in value)
    return _cell(value)


# ------------------------------------------------------------------------------- table
@dataclass(frozen=True, eq=False)
class FormattedTable:
    """A table ready to show: the formatted cells, the caption and the styled HTML.

    Jupyter shows the HTML (:meth:`_repr_html_`); the plain-text form (``repr``) is the
    same cells as text, so an executed notebook's outputs never hold a memory address.

    Attributes
    ----------
    text : DataFrame
        Every cell as the string shown (same index and columns as the input).
    caption : str or None
        The caption, with the money unit when the table has money.
    styler : pandas.io.formats.style.Styler
        The styled table (its id is a hash of the content, so the HTML is reproducible).
    kinds : dict
        Column (or, with ``by="index"``, row) label -> kind used.
    """

    text: pd.DataFrame
    caption: str | None
    styler: Any
    kinds: dict

    def to_html(self) -> str:
        """The table as HTML (a ``<table>`` with its caption and styles)."""
        return self.styler.to_html()

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        body = self.text.to_string()
        return f"{self.caption}\n{body}" if self.caption else body


def format_table(table: pd.DataFrame | pd.Series, *, money: Sequence = (), unit: str | None = None,
                 scale: float = 1e6, rates: Sequence = (), counts: Sequence = (), dates: Sequence = (),
                 verdicts: Sequence | bool = (), caption: str | None = None, index: bool = True,
                 by: str = "columns", money_decimals: int = 2, rate_decimals: int = 2,
                 strict: bool = True) -> FormattedTable:
    """Format a table for a report: the kit's one convention for money, rates, counts and dates.

    Parameters
    ----------
    table : DataFrame or Series
        The values, unformatted (a Series becomes a one-column table).
    money : sequence of labels
        Money columns, shown divided by ``scale`` in ``unit``.
    unit : str
        The unit of the money columns after scaling (e.g. ``"CNY m"``); required with
        ``money``, stated once in the caption.
    scale : float, default 1e6
        Divisor of the money columns (1e6: millions).
    rates, counts, dates : sequence of labels
        Columns shown as per cent, as integers, as ``YYYY-MM-DD``; added to the naming
        convention of the module notes.
    verdicts : sequence of labels, or True
        Columns whose cells start with a verdict (``green``, ``amber``, ``red``), coloured
        with :data:`VERDICT_COLOURS`; True: every column whose name ends with ``verdict``.
    caption : str, optional
    index : bool, default True
        Show the row labels.
    by : {"columns", "index"}
        What the labels in ``money`` ... ``dates`` and the naming convention refer to.
    money_decimals, rate_decimals : int, default 2
        Decimals of money and of per cent (at most 4).
    strict : bool, default True
        A label in ``money`` ... ``dates`` that is not in the table is an error; False
        skips it (key-value tables whose items vary with the data).

    Returns
    -------
    FormattedTable

    Raises
    ------
    ValueError
        Money without a unit, a label not in the table, a label given two kinds, or a
        ``by`` other than ``"columns"`` / ``"index"``.
    TypeError
        ``table`` is not a DataFrame or Series.

    Examples
    --------
    >>> t = format_table(pd.DataFrame({"ead": [1.5e6, 2.25e7], "pd": [0.0123, None], "n_customers": [3, 40]},
    ...                               index=["A", "B"]), money=["ead"], unit="CNY m", caption="By grade")
    >>> print(repr(t))
    By grade (amounts in CNY m)
         ead     pd n_customers
    A   1.50  1.23%           3
    B  22.50      —          40
    """
    if isinstance(table, pd.Series):
        table = table.to_frame()
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a DataFrame or Series, got {type(table).__name__}")
    if by not in ("columns", "index"):
        raise ValueError(f"by must be 'columns' or 'index', got {by!r}")
    if money and not unit:
        raise ValueError("format_table: money columns need a unit (e.g. unit='CNY m'), stated in the caption")
    for name, decimals in (("money_decimals", money_decimals), ("rate_decimals", rate_decimals)):
        if not isinstance(decimals, int) or not 0 <= decimals <= 4:
            raise ValueError(f"format_table: {name} must be an integer from 0 to 4, got {decimals!r}")
    frame = table if by == "columns" else table.T
    explicit: dict = {}
    for kind, labels in (("money", money), ("rate", rates), ("count", counts), ("date", dates)):
        for label in labels:
            if label not in frame.columns and not strict:
                continue
            if label not in frame.columns:
                raise ValueError(f"format_table: {kind} {by[:-1] if by == 'columns' else 'row'} {label!r} "
                                 f"is not in the table ({list(frame.columns)})")
            if label in explicit:
                raise ValueError(f"format_table: {label!r} is given as {explicit[label]} and as {kind}")
            explicit[label] = kind
    if verdicts is True:
        verdicts = [c for c in table.columns if str(c).endswith("verdict")]
    for label in verdicts:
        if label not in table.columns:
            raise ValueError(f"format_table: verdict column {label!r} is not in the table ({list(table.columns)})")

    kinds = {}
    text = {}
    for position, label in enumerate(frame.columns):
        values = frame.iloc[:, position]
        kind = _kind(label, values, explicit)
        kinds[label] = kind
        text[position] = _format_values(values, kind, scale, money_decimals, rate_decimals)
    shown = pd.DataFrame(text, index=frame.index)
    shown.columns = frame.columns
    if by == "index":
        shown = shown.T
    shown.index = _labels(shown.index)
    shown.columns = _labels(shown.columns)

    full_caption = caption
    if money:
        full_caption = f"{caption} (amounts in {unit})" if caption else f"Amounts in {unit}"
    styler = _styler(shown, table, kinds, by, verdicts, full_caption, index)
    return FormattedTable(text=shown, caption=full_caption, styler=styler, kinds=kinds)


def _label_cell(value) -> str:
    # row and column labels are names (years, ids, grades): integers without separators
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return str(int(value))
    return _cell(value)


def _labels(labels: pd.Index) -> pd.Index:
    if isinstance(labels, pd.MultiIndex):
        return pd.MultiIndex.from_tuples([tuple(_label_cell(v) for v in t) for t in labels], names=labels.names)
    return pd.Index([_label_cell(v) for v in labels], name=labels.name)


def _styler(shown: pd.DataFrame, table: pd.DataFrame, kinds: dict, by: str, verdicts: Sequence,
            caption: str | None, index: bool):
    # the id is a hash of what is shown: the HTML of a re-executed notebook does not change
    digest = hashlib.sha1((repr(caption) + shown.to_json(orient="split")).encode()).hexdigest()[:10]
    styler = shown.style.set_uuid(f"rk{digest}")
    if caption:
        styler = styler.set_caption(caption)
    if not index:
        styler = styler.hide(axis="index")
    numeric = [k for k, v in kinds.items() if v != "other"] + [
        label for label, v in kinds.items() if v == "other" and pd.api.types.is_numeric_dtype(
            (table if by == "columns" else table.T)[label].dtype)
        and not pd.api.types.is_bool_dtype((table if by == "columns" else table.T)[label].dtype)]
    positions = [i for i, label in enumerate(table.columns if by == "columns" else table.index) if label in numeric]
    styles = [{"selector": "caption", "props": "caption-side: top; text-align: left; font-weight: bold;"},
              {"selector": "td", "props": "white-space: nowrap;"}]
    if len(shown.columns) > WIDE:
        styles.append({"selector": "", "props": "font-size: 0.8em;"})
    styler = styler.set_table_styles(styles, overwrite=False)
    if by == "columns" and positions:
        styler = styler.set_properties(subset=shown.columns[positions], **{"text-align": "right"})
    if verdicts:
        columns = [shown.columns[list(table.columns).index(v)] for v in verdicts]
        styler = styler.map(lambda v: VERDICT_COLOURS.get(str(v).split(" ")[0], ""), subset=columns)
    return styler


# ------------------------------------------------------------------------------- findings
@dataclass(frozen=True)
class KeyFindings:
    """The key-findings sentences of a report, shown as a bulleted list."""

    sentences: tuple

    def to_markdown(self) -> str:
        return "\n".join(f"- {s}" for s in self.sentences)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __repr__(self) -> str:
        return self.to_markdown()


def findings(sentences) -> KeyFindings:
    """The key findings of a report (a list of sentences) as a block a notebook displays.

    Raises
    ------
    ValueError
        No sentence, or one that is not a non-empty string.
    """
    sentences = tuple(sentences)
    if not sentences or not all(isinstance(s, str) and s.strip() for s in sentences):
        raise ValueError(f"findings: expects one or more non-empty sentences, got {sentences!r}")
    return KeyFindings(sentences)
