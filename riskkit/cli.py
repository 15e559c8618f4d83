"""The ``riskkit`` command line: ``riskkit synth|report|validate-data|template|monitor|actions|close-action ...``.

Every user mistake (unknown report or parameter, a bad value, an unusable output folder,
a notebook that fails) ends with one line on stderr and a non-zero exit code, never a
traceback: 2 for a request that cannot be run, 1 when the work ran and found a problem
(a failed notebook, data that break the data-model rules).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["main", "build_parser"]

#: exit codes
USAGE_ERROR = 2
FAILED = 1


class _Parser(argparse.ArgumentParser):
    """argparse with its errors on one line (no usage block) and exit code 2."""

    def error(self, message):
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expects a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expects a number of seconds, got {text!r}") from None
    if not value >= 0 or value == float("inf"):  # refuses NaN too
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds >= 0, got {text!r}")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expects a whole number, got {text!r}") from None


def _synth(args) -> int:
    if args.partitions is not None:
        from .datasets import write_partitioned_book

        folder = write_partitioned_book(args.output, args.n_customers, args.partitions, seed=args.seed)
        print(f"wrote {args.n_customers} synthetic customers (seed {args.seed}) in {args.partitions} "
              f"partitions to {folder}")
        return 0
    from .datasets import write_sample

    folder = write_sample(args.output, n_customers=args.n_customers, seed=args.seed)
    print(f"wrote {args.n_customers} synthetic customers (seed {args.seed}) to {folder}")
    return 0


def _list_reports() -> str:
    from .reports import list_reports, report_parameters

    lines = []
    for name in list_reports():
        declared = report_parameters(name)
        lines.append(name)
        width = max((len(p) for p in declared), default=0)
        for p in declared.values():
            help_text = f"  # {p.help}" if p.help else ""
            lines.append(f"    {p.name:<{width}} = {p.default_text}{help_text}")
        if not declared:
            lines.append("    (no parameters)")
    return "\n".join(lines)


def _report(args) -> int:
    from ._core.progress import progress
    from .reports import NotebookFailedError, list_reports, refresh_notebook, run_report, standard_runs

    if args.list:
        if args.name is not None or args.all or args.param or args.refresh:
            print("riskkit report: error: --list takes no other argument", file=sys.stderr)
            return USAGE_ERROR
        print(_list_reports())
        return 0
    if args.all == (args.name is not None):
        print("riskkit report: error: give a report NAME or --all (riskkit report --list shows them)",
              file=sys.stderr)
        return USAGE_ERROR
    if args.all and args.param:
        print("riskkit report: error: -p applies to one report, not --all", file=sys.stderr)
        return USAGE_ERROR
    parameters = {}
    for key, value in args.param or []:
        if key in parameters:
            print(f"riskkit report: error: parameter {key!r} given twice", file=sys.stderr)
            return USAGE_ERROR
        parameters[key] = value
    names = list_reports() if args.all else [args.name]
    if args.refresh:
        if parameters:
            print("riskkit report: error: --refresh runs the default parameters; drop -p", file=sys.stderr)
            return USAGE_ERROR
        for name in progress(names, desc="notebooks", unit="notebook", enabled=False if len(names) == 1 else None):
            print(f"{name}: refreshed {refresh_notebook(name).name}")
        return 0
    failed = []
    runs = standard_runs() if args.all else [(args.name, parameters)]
    for name, values in progress(runs, desc="reports", unit="notebook", enabled=False if len(runs) == 1 else None):
        try:
            written = run_report(name, values, output_dir=args.output_dir, html=not args.no_html)
        except NotebookFailedError as exc:
            if not args.all:
                raise
            print(f"riskkit report: error: {exc}", file=sys.stderr)
            failed.append(name)
            continue
        print(f"{name}: " + " and ".join(str(p) for p in written.values()))
    return FAILED if failed else 0


def _validate_data(args) -> int:
    from .data import is_partitioned, load_mapped, load_portfolio, validate_partitioned

    if args.mapping:
        portfolio, violations = load_mapped(args.path, args.mapping, errors="report")
        print(portfolio)
    elif is_partitioned(args.path):
        book, violations = validate_partitioned(args.path)
        print(f"partitioned book: {book.partitions} partitions, {book.manifest.get('n_customers', '?')} customers")
    else:
        portfolio, violations = load_portfolio(args.path, errors="report")
        print(portfolio)
    if len(violations):
        print(violations.to_string(index=False))
        return FAILED
    print("all data-model rules hold")
    return 0


def _template(args) -> int:
    from .data import write_template

    for path in write_template(args.output, force=args.force):
        print(path)
    return 0


def _monitor(args) -> int:
    from ._core.dates import check_as_of
    from .data import load_portfolio
    from .monitoring import Archive, MonitoringRules, run_monitoring
    from .scoring import Scorecard

    # every argument is checked before the (slow) portfolio is loaded
    check_as_of(args.as_of)
    scorecard = None
    if args.model:
        scorecard = Scorecard.from_json(Path(args.model).read_text(encoding="utf-8"), source=args.model)
    rules = MonitoringRules.from_yaml(args.rules) if args.rules else None
    portfolio = load_portfolio(args.data)
    archive = Archive(args.archive, timeout=args.wait)
    result = run_monitoring(portfolio, args.as_of, rules=rules, archive=archive, scorecard=scorecard,
                            notify=args.notify, network=not args.no_network)
    print(result.summary())
    return 0


def _existing_archive(path: str):
    from .monitoring import Archive

    # a work list is read from the nightly run's archive: a mistyped path must not create an empty one
    if not Path(path).is_file():
        raise FileNotFoundError(2, "no archive file", path)
    return Archive(path)


#: columns of the work list printed by ``riskkit actions`` (all of them go to --output)
_WORK_LIST_COLUMNS = ["customer_id", "action", "priority", "owner", "due_date", "overdue", "age_days", "age_runs",
                      "last_event"]


def _actions(args) -> int:
    from ._core.dates import check_as_of

    if args.as_of is not None:
        check_as_of(args.as_of)
    work = _existing_archive(args.archive).open_actions(as_of=args.as_of)
    if args.output:
        out = Path(args.output)
        if out.suffix.lower() != ".csv":
            raise ValueError(f"--output must name a .csv file, got {args.output!r}")
        work.to_csv(out, index=False, date_format="%Y-%m-%d")
    overdue = int(work["overdue"].sum())
    print(f"{len(work):,} open action(s), {overdue:,} overdue")
    if len(work):
        shown = work[_WORK_LIST_COLUMNS].head(args.limit).copy()
        shown["due_date"] = shown["due_date"].dt.strftime("%Y-%m-%d")
        print(shown.to_string(index=False))
        if len(work) > args.limit:
            print(f"... {len(work) - args.limit:,} more (--limit, or --output FILE.csv for all)")
    return 0


def _close_action(args) -> int:
    archive = _existing_archive(args.archive)
    action_id = archive.close_action(args.customer, args.action, by=args.by, outcome=args.outcome, note=args.note)
    print(f"closed {args.action} for {args.customer} ({args.outcome}, by {args.by}): {action_id}")
    return 0


def _parquet_output(path: str) -> Path:
    target = Path(path)
    if target.suffix != ".parquet":
        raise ValueError(f"--output {path!r} must be a .parquet file")
    if target.is_dir():
        raise IsADirectoryError(f"--output {path!r} is a folder; give a .parquet file name")
    if not target.parent.is_dir():
        raise FileNotFoundError(f"--output {path!r}: folder {str(target.parent)!r} does not exist")
    return target


def _engine(args) -> str:
    """'dask' for a partitioned book, 'pandas' for a folder of table files (or as asked)."""
    from .data import is_partitioned

    layout = "dask" if is_partitioned(args.data) else "pandas"
    if args.engine == "dask" and layout == "pandas":
        raise ValueError(f"--engine dask needs a partitioned book; {args.data!r} is a folder of table files")
    if args.scheduler and (args.engine or layout) != "dask":
        raise ValueError("--scheduler applies to a partitioned book (the dask engine)")
    return args.engine or layout


def _profile(args) -> int:
    from ._core.dates import check_as_of

    as_of = check_as_of(args.as_of, "--as-of")
    target = _parquet_output(args.output)
    if _engine(args) == "dask":
        from .profile.partitioned import build_profile_partitioned

        profile = build_profile_partitioned(args.data, as_of, scheduler=args.scheduler)
    else:
        from .data import load_portfolio
        from .profile import build_profile

        profile = build_profile(load_portfolio(args.data), as_of)
    profile.reset_index().to_parquet(target, index=False)
    print(f"profiled {len(profile)} customers as of {as_of.date()} into {target}")
    return 0


#: what ``rate --network`` adds to the ratings (:func:`riskkit.assess.network_pd_scores`)
NETWORK_PD_COLUMNS = ("pd_network", "pd_uplift", "main_source", "main_channel", "n_links")


def _rate(args) -> int:
    from ._core.dates import check_as_of
    from .assess import development_dates, fit_portfolio_scorecard
    from .scoring import Scorecard

    as_of = check_as_of(args.as_of, "--as-of")
    target = _parquet_output(args.output)
    scorecard = None
    if args.model:
        scorecard = Scorecard.from_json(Path(args.model).read_text(encoding="utf-8"))
    dates = development_dates(as_of)
    if _engine(args) == "dask":
        from .assess.partitioned import assess_partitioned, fit_scorecard_partitioned
        from .data.engine import dask_client

        with dask_client(args.scheduler) as client:
            if scorecard is None:
                scorecard, _ = fit_scorecard_partitioned(args.data, dates, scheduler=client)
            ratings = assess_partitioned(args.data, as_of, scorecard, scheduler=client)
            if args.network:
                from .assess import network_pd_partitioned

                network = network_pd_partitioned(args.data, as_of, ratings["pd"], scheduler=client)
    else:
        from .assess import assess_portfolio, network_pd_scores
        from .data import load_portfolio

        portfolio = load_portfolio(args.data)
        if scorecard is None:
            scorecard, _ = fit_portfolio_scorecard(portfolio, dates)
        ratings = assess_portfolio(portfolio, as_of, scorecard)
        if args.network:
            network = network_pd_scores(portfolio, as_of, ratings["pd"])
    if args.network:
        # the adjustment only: the outcome columns of network_pd_scores look past as_of
        ratings = ratings.join(network[list(NETWORK_PD_COLUMNS)])
    ratings.reset_index().to_parquet(target, index=False)
    grades = ratings["grade"].value_counts().sort_index()
    print(f"rated {len(ratings)} customers as of {as_of.date()} into {target}; grades: "
          + ", ".join(f"{g} {n}" for g, n in grades.items()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``riskkit`` command."""
    from . import __version__
    from .reports import list_reports

    parser = _Parser(prog="riskkit", description="Customer credit-risk research kit: synthetic data, "
                     "data checks and reviewer reports.")
    parser.add_argument("--version", action="version", version=f"riskkit {__version__}",
                        help="print the riskkit version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser,
                                help="what to do (riskkit COMMAND --help for its options)")

    p = sub.add_parser("synth", help="generate a synthetic portfolio folder (Parquet)",
                       description="Generate a synthetic portfolio and write its tables into a folder. "
                       "Only the kit's own table files are replaced; other files in the folder are kept.")
    p.add_argument("--n-customers", type=_positive_int, default=2000, help="number of customers (default 2000)")
    p.add_argument("--seed", type=_int, default=42, help="random seed (default 42)")
    p.add_argument("--output", default="data/sample", help="folder to write into (default data/sample)")
    p.add_argument("--partitions", type=_positive_int, default=None,
                   help="write a partitioned Parquet dataset of this many partitions (whole customers "
                   "per partition), generated one partition at a time; --output must be a new or empty folder")
    p.set_defaults(func=_synth)

    names = list_reports()
    p = sub.add_parser(
        "report", help="execute report notebooks into .ipynb and .html",
        description="Execute a report notebook with Papermill and render it to HTML (code hidden). "
        "Parameters are checked before a kernel starts.",
        epilog=f"reports: {', '.join(names) or 'none'}. `riskkit report --list` shows their parameters "
        "and defaults. Output files are named after the report and the parameter values that differ "
        "from the defaults, e.g. customer_profile_C001153.html.")
    p.add_argument("name", nargs="?", metavar="NAME", help="report to run (see --list)")
    p.add_argument("--list", action="store_true", help="list the reports with their parameters and defaults")
    p.add_argument("--all", action="store_true", help="run every report with its default parameters, and the "
                   "scorecard also on German Credit (scorecard_development_german)")
    p.add_argument("-p", "--param", nargs=2, action="append", metavar=("KEY", "VALUE"),
                   help="set a report parameter (repeatable), e.g. -p as_of 2024-06-30")
    p.add_argument("--output-dir", default="reports", help="folder for the executed notebooks and HTML "
                   "(default reports)")
    p.add_argument("--no-html", action="store_true", help="write the executed notebook only")
    p.add_argument("--refresh", action="store_true",
                   help="re-execute the notebook(s) in place with default parameters (committed outputs)")
    p.set_defaults(func=_report)

    p = sub.add_parser("validate-data", help="load a portfolio folder and list every rule it breaks",
                       description="Load a portfolio folder (CSV or Parquet) and list every data-model "
                       "rule it breaks; exit 1 if any.")
    p.add_argument("path", help="portfolio folder, or with --mapping the folder of source exports")
    p.add_argument("--mapping", default=None, metavar="FILE",
                   help="column-mapping YAML that turns a firm's own exports into the Portfolio tables "
                   "(see riskkit.data.mapping)")
    p.set_defaults(func=_validate_data)

    p = sub.add_parser("template", help="write empty table CSVs and the data dictionary for your own data",
                       description="Write one CSV per Portfolio table with the data model's header and "
                       "data_dictionary.csv (dtype, required, allowed values, unit, meaning of every column). "
                       "Existing files are not overwritten without --force; other files are left alone.")
    p.add_argument("--output", required=True, metavar="DIR", help="folder to write into (created if missing)")
    p.add_argument("--force", action="store_true", help="overwrite template files that already exist")
    p.set_defaults(func=_template)
    engine_help = ("dask for a partitioned book (one task per partition), pandas for a folder of table "
                   "files; --engine pandas loads a partitioned book whole")
    for name, func, what in (("profile", _profile, "the point-in-time risk profile, one row per customer"),
                             ("rate", _rate, "batch rating: expert score, scorecard PD, grade, exposure, "
                              "expected loss, one row per customer")):
        p = sub.add_parser(name, help=f"write {what} (Parquet)",
                           description=f"Write {what}, as of a date, into a Parquet file. A partitioned book "
                           "(riskkit synth --partitions) is processed partition by partition on Dask (a 2-worker "
                           "LocalCluster unless --scheduler gives a running scheduler); a folder of table "
                           "files is loaded whole and processed with pandas. Same results either way."
                           + (" Ratings carry no network adjustment unless --network." if name == "rate" else ""))
        p.add_argument("--data", required=True, help="portfolio folder or partitioned book")
        p.add_argument("--as-of", required=True, help="date, YYYY-MM-DD")
        p.add_argument("--output", required=True, help="Parquet file to write")
        if name == "rate":
            p.add_argument("--model", default=None, help="scorecard JSON (default: develop one on the book's "
                           "history, three dates, see riskkit.assess.development_dates)")
            p.add_argument("--network", action="store_true", help="add the network-adjusted PD of the scorecard "
                           "PD (" + ", ".join(NETWORK_PD_COLUMNS) + "; riskkit.assess.network_pd_scores), "
                           "empty for customers already in default on the date")
        p.add_argument("--engine", choices=("pandas", "dask"), default=None, help=engine_help)
        p.add_argument("--scheduler", default=None, help="address of a running dask scheduler, e.g. "
                       "tcp://10.0.0.5:8786 (default: a LocalCluster of 2 single-threaded workers)")
        p.set_defaults(func=func)

    p = sub.add_parser(
        "monitor", help="the nightly monitoring run: rate, alert, archive, notify",
        description="Rate the book as of a date, evaluate the monitoring rules against the previous run in "
        "the archive, record snapshot, alerts, actions and limit recommendations in one transaction, queue "
        "one digest per recipient and (with --notify) deliver the outbox by e-mail/webhook. SMTP and webhook "
        "settings come from RISKKIT_SMTP_* and RISKKIT_WEBHOOK_URL environment variables.",
        epilog="cron, every night at 21:00: 0 21 * * * riskkit monitor --as-of $(date +%%F) --data /srv/book "
        "--archive /srv/riskkit/monitor.duckdb --notify")
    p.add_argument("--as-of", required=True, help="run date, YYYY-MM-DD")
    p.add_argument("--data", required=True, help="portfolio folder (CSV or Parquet)")
    p.add_argument("--archive", required=True, help="DuckDB archive file (created if missing)")
    p.add_argument("--rules", default=None, help="monitoring rules YAML (default: the package's rules)")
    p.add_argument("--model", default=None, help="scorecard JSON (default: develop one on the book's history)")
    p.add_argument("--notify", action="store_true", help="deliver queued digests (e-mail / webhook)")
    p.add_argument("--no-network", action="store_true", help="skip network PD, stress and linked-party rules")
    p.add_argument("--wait", type=_seconds, default=0.0, help="seconds to wait if another run holds the archive")
    p.set_defaults(func=_monitor)

    p = sub.add_parser(
        "actions", help="the credit controllers' work list: open actions in the archive",
        description="List the actions the nightly runs recommended that are still open (not resolved by a "
        "later run, not closed by a controller): overdue first, then by due date.")
    p.add_argument("--archive", required=True, help="DuckDB archive file of the nightly runs")
    p.add_argument("--as-of", default=None, help="day for age and overdue (default: the latest run's date)")
    p.add_argument("--output", default=None, help="write the whole list to this CSV file")
    p.add_argument("--limit", type=_positive_int, default=50, help="rows to print (default 50)")
    p.set_defaults(func=_actions)

    p = sub.add_parser(
        "close-action", help="close an open action (audited: who, outcome, note)",
        description="Record that a controller closed an open action. The close is appended to the archive's "
        "hash-chained action events; if the next run still recommends the action, it opens anew.")
    p.add_argument("--archive", required=True, help="DuckDB archive file of the nightly runs")
    p.add_argument("--customer", required=True, help="customer_id of the action")
    p.add_argument("--action", required=True, help="the action, as the work list names it")
    p.add_argument("--by", required=True, help="who closes it (user name)")
    # checked by Archive.close_action against riskkit.monitoring.actions.CLOSE_OUTCOMES (one
    # definition; importing it here would load pandas for every command's --help)
    p.add_argument("--outcome", required=True, help="how it ended: done, not_needed or superseded")
    p.add_argument("--note", default=None, help="free text kept with the close")
    p.set_defaults(func=_close_action)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (0 success, 1 problems found, 2 bad request)."""
    from ._core.errors import RiskkitError

    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version and argument errors
        return exc.code if isinstance(exc.code, int) else USAGE_ERROR
    try:
        return args.func(args)
    except (RiskkitError, ValueError, OSError) as exc:
        from .reports import NotebookFailedError

        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
            message = f"{exc.strerror}: {exc.filename}"
        print(f"riskkit {args.command}: error: {message}", file=sys.stderr)
        return FAILED if isinstance(exc, NotebookFailedError) else USAGE_ERROR


if __name__ == "__main__":
    sys.exit(main())
