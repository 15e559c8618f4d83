"""Datasets: the synthetic book with known truth, the sample book, German Credit.

- :func:`generate_portfolio`: a synthetic enterprise book (latent credit quality,
  signals, relationship network, defaults with contagion) whose ``truth`` table keeps
  the true PD and whether each default was contagion-induced;
- :func:`load_sample` / :func:`write_sample`: the 2,000-customer, seed-42 sample book;
- :func:`load_german_credit`: the UCI Statlog German Credit data (shipped as package data);
- :func:`example_exports_path`: a made-up firm's ERP exports and the column mapping that
  turns them into a Portfolio (the bring-your-own-data example).
"""

from .byod import example_exports_path
from .german import default_german_path, load_german_credit
from .sample import SAMPLE_CUSTOMERS, SAMPLE_SEED, load_sample, sample_path, write_portfolio, write_sample
from .partitioned import write_partitioned_book
from .synthetic import SyntheticOptions, generate_portfolio, truth_summary

__all__ = [
    "generate_portfolio",
    "write_partitioned_book",
    "SyntheticOptions",
    "truth_summary",
    "load_sample",
    "write_sample",
    "write_portfolio",
    "sample_path",
    "SAMPLE_CUSTOMERS",
    "SAMPLE_SEED",
    "load_german_credit",
    "default_german_path",
    "example_exports_path",
]
