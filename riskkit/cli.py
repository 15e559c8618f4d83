"""The ``riskkit`` command line: ``riskkit synth|report|validate-data ...``."""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def _synth(args) -> int:
    from .datasets import write_sample

    folder = write_sample(args.output, n_customers=args.n_customers, seed=args.seed)
    print(f"wrote {args.n_customers} synthetic customers (seed {args.seed}) to {folder}")
    return 0


def _report(args) -> int:
    from tqdm import tqdm

    from .reports import list_reports, run_report

    if args.all == bool(args.name):
        print("riskkit report: give a report NAME or --all", file=sys.stderr)
        return 2
    if args.all and args.param:
        print("riskkit report: -p applies to one report, not --all", file=sys.stderr)
        return 2
    names = list_reports() if args.all else [args.name]
    parameters = dict(args.param or [])
    if args.refresh:
        from .reports import refresh_notebook

        if parameters:
            print("riskkit report: --refresh runs the default parameters; drop -p", file=sys.stderr)
            return 2
        for name in tqdm(names, desc="notebooks", unit="notebook", disable=len(names) == 1, file=sys.stderr):
            print(f"{name}: refreshed {refresh_notebook(name).name}")
        return 0
    for name in tqdm(names, desc="reports", unit="notebook", disable=len(names) == 1, file=sys.stderr):
        written = run_report(name, parameters, output_dir=args.output_dir)
        print(f"{name}: {written['notebook']} and {written.get('html')}")
    return 0


def _validate_data(args) -> int:
    from .data import load_portfolio

    portfolio, violations = load_portfolio(args.path, errors="report")
    print(portfolio)
    if len(violations):
        print(violations.to_string(index=False))
        return 1
    print("all data-model rules hold")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="riskkit", description="Customer credit-risk research kit.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("synth", help="generate a synthetic portfolio folder (Parquet)")
    p.add_argument("--n-customers", type=int, default=2000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--output", default="data/sample")
    p.set_defaults(func=_synth)

    p = sub.add_parser("report", help="execute report notebooks into .ipynb and .html")
    p.add_argument("name", nargs="?", help="notebook name in notebooks/ (without .ipynb)")
    p.add_argument("--all", action="store_true", help="run every notebook")
    p.add_argument("-p", "--param", nargs=2, action="append", metavar=("KEY", "VALUE"),
                   help="set a notebook parameter (repeatable)")
    p.add_argument("--output-dir", default="reports")
    p.add_argument("--refresh", action="store_true",
                   help="re-execute the notebook(s) in place with default parameters (committed outputs)")
    p.set_defaults(func=_report)

    p = sub.add_parser("validate-data", help="load a portfolio folder and list every rule it breaks")
    p.add_argument("path")
    p.set_defaults(func=_validate_data)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, NotADirectoryError) as exc:
        print(f"riskkit {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
