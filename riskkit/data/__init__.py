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
from .partitioned import PartitionedBook, is_partitioned, load_partitioned, validate_partitioned
from .portfolio import Portfolio, check_portfolio, validate_portfolio
from .privacy import mask_pii
from .schemas import TABLE_ORDER, TABLES, empty_table
from .validation import DataValidationError

__all__ = [
    "Portfolio",
    "DataValidationError",
    "load_portfolio",
    "save_portfolio",
    "PartitionedBook",
    "is_partitioned",
    "validate_partitioned",
    "load_partitioned",
    "validate_portfolio",
    "check_portfolio",
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
