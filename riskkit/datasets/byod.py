"""The bring-your-own-data worked example: a made-up firm's ERP exports and their mapping.

``files/byod/`` holds ``customer_master.csv`` (own column names and category codes, two
currencies), ``ar_ledger.csv`` (several lines per invoice document, credit notes as
negative lines naming the invoice they credit), ``receipts.csv`` (partial and split
payments) and ``mapping.yaml``, which turns them into a Portfolio with
:func:`riskkit.data.load_mapped`.  ``docs/examples/make_byod_example.py`` regenerates them.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["example_exports_path"]


def example_exports_path() -> Path:
    """Folder of the example ERP exports; ``mapping.yaml`` in it maps them to a Portfolio.

    Returns
    -------
    Path
        The package-data folder ``riskkit/datasets/files/byod``.

    Examples
    --------
    >>> import riskkit as rk
    >>> folder = rk.datasets.example_exports_path()
    >>> book = rk.data.load_mapped(folder, folder / "mapping.yaml")
    >>> len(book.customers)
    36
    """
    return Path(__file__).resolve().parent / "files" / "byod"
