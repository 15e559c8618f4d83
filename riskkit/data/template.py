"""Empty templates of the Portfolio tables and their data dictionary, for a firm's own data.

:func:`write_template` writes what ``riskkit template --output DIR`` writes: one
``<table>.csv`` per table holding the header row of the data model (columns in schema
order) and ``data_dictionary.csv`` saying, for every column, its dtype, whether it is
required and may be empty, the allowed categories or bounds, the unit and the meaning.
Both come from the one definition of the model, :mod:`riskkit.data.schemas`.
"""

from __future__ import annotations

from pathlib import Path

from .schemas import TABLE_ORDER, data_dictionary, empty_table

__all__ = ["write_template", "TEMPLATE_DICTIONARY"]

#: file name of the data dictionary written beside the table templates
TEMPLATE_DICTIONARY = "data_dictionary.csv"


def write_template(folder, force: bool = False) -> list[Path]:
    """Write empty table templates and the data dictionary into ``folder``.

    Parameters
    ----------
    folder : str or Path
        Created if missing.  Files other than those written here are left alone.
    force : bool
        Overwrite template files that already exist.  Without it an existing file is an
        error and nothing is written.

    Returns
    -------
    list of Path
        The files written: ``<table>.csv`` for every table in ``TABLE_ORDER``, then
        ``data_dictionary.csv``.

    Raises
    ------
    FileExistsError
        A file to be written exists and ``force`` is False.
    """
    target = Path(folder)
    names = [f"{table}.csv" for table in TABLE_ORDER] + [TEMPLATE_DICTIONARY]
    existing = [n for n in names if (target / n).exists()]
    if existing and not force:
        raise FileExistsError(f"{target}: {', '.join(existing)} already exist(s); "
                              "pass force=True (--force) to overwrite them")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for table in TABLE_ORDER:
        path = target / f"{table}.csv"
        empty_table(table).to_csv(path, index=False)
        written.append(path)
    path = target / TEMPLATE_DICTIONARY
    data_dictionary().to_csv(path, index=False)
    written.append(path)
    return written
