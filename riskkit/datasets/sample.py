"""The sample book: 2,000 synthetic customers, seed 42, generated once and read from disk."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ..data.io import load_portfolio, save_portfolio
from ..data.portfolio import Portfolio
from ..data.schemas import TABLE_ORDER

__all__ = ["SAMPLE_CUSTOMERS", "SAMPLE_SEED", "sample_path", "load_sample", "write_sample", "write_portfolio"]

SAMPLE_CUSTOMERS = 2000
SAMPLE_SEED = 42
#: the files a written portfolio consists of (the only ones the kit ever replaces)
_OWN_FILES = tuple(f"{name}.{ext}" for name in (*TABLE_ORDER, "truth") for ext in ("parquet", "csv"))


def _repository_root() -> Path | None:
    """The source checkout holding the package, or None for an installed package."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() and (root / "riskkit").is_dir() else None


def sample_path() -> Path:
    """Where the sample portfolio lives.

    ``$RISKKIT_SAMPLE_DIR`` if set; else ``data/sample`` of the source checkout when the
    package runs from one; else ``$XDG_CACHE_HOME/riskkit/sample`` (``~/.cache/...``) for
    an installed package.
    """
    if os.environ.get("RISKKIT_SAMPLE_DIR"):
        return Path(os.environ["RISKKIT_SAMPLE_DIR"])
    root = _repository_root()
    if root is not None:
        return root / "data" / "sample"
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "riskkit" / "sample"


def load_sample(regenerate: bool = False) -> Portfolio:
    """The sample portfolio: 2,000 synthetic customers, seed 42 (``make data``).

    It is generated into :func:`sample_path` on first use (or when ``regenerate``), then
    read back from the files, so every caller sees exactly what is on disk.
    """
    folder = sample_path()
    if regenerate or not (folder / "customers.parquet").exists():
        write_sample(folder)
    return load_portfolio(folder)


def write_sample(folder, n_customers: int = SAMPLE_CUSTOMERS, seed: int = SAMPLE_SEED) -> Path:
    """Generate a synthetic portfolio and write it into ``folder`` (see :func:`write_portfolio`)."""
    from .synthetic import generate_portfolio

    return write_portfolio(generate_portfolio(n_customers, seed=seed), folder)


def write_portfolio(portfolio: Portfolio, folder, format: str = "parquet") -> Path:
    """Write ``portfolio`` into ``folder`` without ever touching a file the kit did not write.

    The tables are first written into a staging folder next to ``folder``; then each
    table file replaces its namesake atomically (``os.replace``) and table files of the
    other format are removed.  Any other file in ``folder`` (a user's notes, other data)
    is left alone, so ``riskkit synth --output .`` is safe.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"output {folder} exists and is not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".riskkit-staging-", dir=folder))
    try:
        save_portfolio(portfolio, staging, format=format)
        written = {p.name for p in staging.iterdir()}
        for name in written:
            os.replace(staging / name, folder / name)
        for name in set(_OWN_FILES) - written:
            stale = folder / name
            if stale.is_file():
                stale.unlink()
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder
