"""Data model: the Portfolio, its schemas, validation at the boundary, io and privacy.

Synthetic and real datasets live one layer up, in :mod:`riskkit.datasets`.
"""

from .describe import (
    customer_mix,
    default_rates,
    default_rates_total,
    first_defaults,
    key_findings,
    record_coverage,
    relation_summary,
    snapshot_counts,
)
from .fingerprint import data_fingerprint
from .io import load_portfolio, save_portfolio
from .mapping import ColumnMapping, FxRatesFile, load_mapped, read_mapping
from .partitioned import PartitionedBook, is_partitioned, load_partitioned, validate_partitioned
from .portfolio import Portfolio, check_portfolio, data_period, validate_portfolio
from .privacy import mask_pii
from .schemas import TABLE_ORDER, TABLES, data_dictionary, empty_table
from .template import write_template
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
    "data_period",
    "mask_pii",
    "data_fingerprint",
    "record_coverage",
    "default_rates",
    "first_defaults",
    "key_findings",
    "relation_summary",
    "snapshot_counts",
    "customer_mix",
    "default_rates_total",
    "TABLES",
    "TABLE_ORDER",
    "empty_table",
    "data_dictionary",
    "write_template",
    "load_mapped",
    "read_mapping",
    "FxRatesFile",
    "ColumnMapping",
]
