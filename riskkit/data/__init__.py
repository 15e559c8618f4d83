"""Data model: the Portfolio, its schemas, validation at the boundary, io and privacy.

Synthetic and real datasets live one layer up, in :mod:`riskkit.datasets`.
"""

from .describe import (
    customer_mix,
    default_rates,
    default_rates_total,
    first_defaults,
    record_coverage,
    relation_summary,
    snapshot_counts,
)
from .io import load_portfolio, save_portfolio
from .portfolio import Portfolio, check_portfolio, data_period, validate_portfolio
from .privacy import mask_pii
from .schemas import TABLE_ORDER, TABLES, empty_table
from .validation import DataValidationError

__all__ = [
    "Portfolio",
    "DataValidationError",
    "load_portfolio",
    "save_portfolio",
    "validate_portfolio",
    "check_portfolio",
    "data_period",
    "mask_pii",
    "record_coverage",
    "default_rates",
    "first_defaults",
    "relation_summary",
    "snapshot_counts",
    "customer_mix",
    "default_rates_total",
    "TABLES",
    "TABLE_ORDER",
    "empty_table",
]
