"""Data model, loaders and datasets: the Portfolio and its validation at the boundary."""

from .describe import default_rates, first_defaults, record_coverage, relation_summary
from .io import load_portfolio, load_sample, project_root, sample_path, save_portfolio, write_sample
from .portfolio import Portfolio, check_portfolio, validate_portfolio
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
    "load_sample",
    "write_sample",
    "sample_path",
    "project_root",
    "generate_portfolio",
    "load_german_credit",
    "mask_pii",
    "record_coverage",
    "default_rates",
    "first_defaults",
    "relation_summary",
    "TABLES",
    "TABLE_ORDER",
    "empty_table",
]


def __getattr__(name):
    # modules with heavier imports are loaded on first use
    if name == "generate_portfolio":
        from .synthetic import generate_portfolio

        return generate_portfolio
    if name == "load_german_credit":
        from .german import load_german_credit

        return load_german_credit
    raise AttributeError(f"module 'riskkit.data' has no attribute {name!r}")
