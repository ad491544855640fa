"""The ``replicate`` command: run a figure, build the book, benchmark, fetch data."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

EPILOG = """examples:
  replicate run hacohen2020/h1 -p n_models 12        rerun one figure with a new parameter
  replicate run hacohen2020/h1 --scale paper          the paper's sizes (for a GPU)
  replicate book                                      execute changed notebooks, build _build/html
  replicate plan all --scale paper --device a100      what the paper-scale book costs, before it runs
  replicate publish                                   push _build/html to the gh-pages branch
  replicate bench train                               engine vs a plain PyTorch loop
  replicate bench knn                                 exact k-NN vs scikit-learn and torch.cdist
  replicate bench imagestats                          image statistics vs per-image loops
  replicate bench recorder                            a training loop with and without the recorder
  replicate data fashion_mnist                        check that a data set is available
  replicate scores fashion_mnist --out atlas          the per-example difficulty table (Parquet + manifest)
"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="replicate",
        description="Replicate, figure by figure, three papers on how deep networks learn individual examples.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="{run,book,scorecard,plan,publish,bench,data,prepare,scores}")

    run = sub.add_parser(
        "run",
        help="execute one figure notebook (jupytext -> papermill) into executed/, where the book picks it up",
        description="Execute one figure notebook with new parameters; the executed notebook replaces the book's page. "
        "Trained ensembles come from the run store when they exist.",
    )
    run.add_argument("figure", help="<paper>/<id>, e.g. hacohen2020/h1")
    run.add_argument(
        "-p",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="set a parameter (a number, or YAML: null, [1, 2], {epochs: 3}); NAME.KEY sets one key of a dict parameter",
    )
    run.add_argument("-f", action="append", default=[], metavar="FILE", help="a YAML file of parameters (applied before -p)")
    run.add_argument(
        "--scale",
        default="laptop",
        choices=("laptop", "paper", "smoke"),
        help="start from this scale's parameter file (default: the notebook's laptop values)",
    )

    run.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="train ensembles on this Ray cluster (an address, 'auto', or 'local'); the run store must be on a path every node sees",
    )

    book = sub.add_parser("book", help="execute every notebook whose inputs changed, then build the HTML into _build/html")
    book.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="train ensembles on this Ray cluster (an address, 'auto', or 'local'); the run store must be on a path every node sees",
    )
    book.add_argument("--force", action="store_true", help="execute every notebook, changed or not")
    book.add_argument("--no-build", action="store_true", help="execute notebooks and write the scorecard, but skip the HTML build")
    book.add_argument("--defaults", action="store_true", help="return every page run with other parameters to its laptop defaults")

    score = sub.add_parser(
        "scorecard",
        help="write executed/scorecard.md; with --seeds, first rerun every figure at each seed (seed stability)",
        description="Write the scorecard from the claims on disk. With --seeds, every figure is first executed with all of its "
        "random seeds moved by each listed seed (pages and claims in results/seeds/<s>/; seed 0 is the book itself), and the "
        "scorecard shows each claim's verdict per seed, flagging those that change. Networks come from the run store.",
    )
    score.add_argument("--seeds", nargs="+", type=int, default=[], metavar="S", help="seeds to compare, e.g. 0 1")

    plan = sub.add_parser(
        "plan",
        help="what figures cost before they run: networks, FLOPs, memory, store size, estimated hours",
        description="Read the parameter files and the specs, build nothing, and print per figure its ensembles: networks, "
        "epochs, training examples per network, forward FLOPs per example (counted from the model), training FLOPs, k-NN "
        "probe FLOPs, peak memory per network, store size, estimated time on a device class, and the training time the "
        "run store recorded where it holds the ensemble; then the total with every shared ensemble counted once.",
    )
    plan.add_argument("figures", nargs="+", metavar="FIGURE", help="<paper>/<id>, or all")
    plan.add_argument("--scale", default="laptop", choices=("laptop", "paper", "smoke"), help="the sizes to price (default: laptop)")
    from .cost import DEVICES

    plan.add_argument("--device", default="cpu", choices=DEVICES, help="the device class of the time estimate (default: cpu, this machine)")
    plan.add_argument(
        "--check-store",
        metavar="DIR",
        help="also check that the run store DIR holds exactly the planned ensembles (after a run of every figure at --scale)",
    )

    publish = sub.add_parser("publish", help="publish the built HTML (_build/html) to a gh-pages branch, for GitHub Pages")
    publish.add_argument("--remote", default="origin", help="the git remote to push to (default: origin)")
    publish.add_argument("--branch", default="gh-pages", help="the branch that holds the site (default: gh-pages)")

    bench = sub.add_parser("bench", help="benchmarks that print ours-vs-baseline ratios measured in one run")
    from .bench import BENCHES

    bench.add_argument(
        "what", choices=BENCHES, help="which benchmark; each module's docstring (replicate.bench.<what>) says what it compares"
    )
    bench.add_argument("--quick", action="store_true", help="a smaller problem (for a fast check, noisier ratios)")

    data = sub.add_parser("data", help="make sure data sets are available locally (system copy or download) and describe them")
    data.add_argument("names", nargs="*", default=["fashion_mnist"], help="data set names (default: fashion_mnist)")
    data.add_argument("--root", default=None, help="data root (default: $REPLICATE_DATA or ~/.cache/replicate/data)")

    prep = sub.add_parser("prepare", help="write notebooks with a scale's parameters injected, unexecuted, for nbval")
    prep.add_argument("figures", nargs="*", help="<paper>/<id> (default: all)")
    prep.add_argument("--scale", default="smoke", choices=("laptop", "paper", "smoke"))
    prep.add_argument("--out", required=True, help="output folder")

    scores = sub.add_parser(
        "scores",
        help="build the atlas: per-example difficulty scores of a data set, written as scores.parquet + manifest.json",
        description="Train (or read from the run store) the atlas ensemble of the data set at a scale, probe its first members, "
        "compute the image statistics, and write one row per example with every score, plus a manifest of what each column "
        "means and the hashes to check it (replicate.atlas.release.load).",
    )
    scores.add_argument("dataset", help="the data set (for now: fashion_mnist)")
    scores.add_argument("--out", required=True, help="output folder")
    scores.add_argument(
        "--scale",
        default="laptop",
        choices=("laptop", "paper", "smoke"),
        help="the atlas ensemble's sizes: the a1 page's parameters at that scale (default: laptop)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the command; a bad figure, scale, parameter or data set is one line on stderr and exit code 2."""
    args = _parser().parse_args(argv)
    from .book.pipeline import FigureFailed, ParameterError
    from .book.publish import PublishError
    from .data import DataError

    try:
        return _command(args)
    except (ParameterError, DataError, PublishError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except FigureFailed as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


def _command(args: argparse.Namespace) -> int:
    if getattr(args, "cluster", None):
        from .cluster import ENV

        os.environ[ENV] = args.cluster  # the kernels papermill starts inherit it
    if args.command == "run":
        from .book import pipeline

        overrides = {name: pipeline.parse_value(name, value) for name, value in args.p}
        out = pipeline.run(args.figure, overrides, [Path(f) for f in args.f], args.scale)
        print(f"executed notebook: {out}\nrebuild the HTML with: replicate book (it keeps this run's parameters)")
    elif args.command == "book":
        from .book import pipeline

        html, failures = pipeline.book(force=args.force, build=not args.no_build, defaults=args.defaults)
        print(f"book: {html / 'index.html'}")
        if failures:
            print(f"{len(failures)} figure(s) failed; their pages are the last good ones:", file=sys.stderr)
            for e in failures:
                print(f"  {e}", file=sys.stderr)
            return 1
    elif args.command == "scorecard":
        from .book import scorecard, seeds
        from .store import project_root

        failures = seeds.run(args.seeds)
        print(f"scorecard: {scorecard.write_scorecard(project_root())}")
        table = seeds.verdict_table(seeds.available())
        moved = seeds.changed(table)
        if args.seeds:
            print(
                f"{len(moved)} of {len(table)} claims change their verdict with the seed"
                + "".join(f"\n  {f} {c}: {table[f, c]}" for f, c in moved)
            )
        if failures:
            print(f"{len(failures)} figure(s) failed at some seed:", file=sys.stderr)
            for e in failures:
                print(f"  {e}", file=sys.stderr)
            return 1
    elif args.command == "plan":
        from .book import pipeline, plan
        from .store import Store

        figs = list(pipeline.notebooks()) if args.figures == ["all"] else args.figures
        for fig in figs:
            pipeline.find(fig)
        lines = plan.plan(figs, args.scale)
        print(f"plan at {args.scale} scale:\n{plan.table(lines, args.device)}")
        if args.check_store:
            missing, extra = plan.unplanned(lines, Store(args.check_store))
            if missing or extra:
                print(f"error: the store {args.check_store} does not hold exactly the planned ensembles", file=sys.stderr)
                for what, items in (("planned but not stored", missing), ("stored but not planned", extra)):
                    print("".join(f"  {what}: {i}\n" for i in items), end="", file=sys.stderr)
                return 1
            print(f"the store {args.check_store} holds exactly the {len({line.key for line in lines})} planned ensembles")
    elif args.command == "publish":
        from .book.publish import publish
        from .store import project_root

        html = project_root() / "_build" / "html"
        publish(html, remote=args.remote, branch=args.branch)
        print(f"published {html} to {args.remote}/{args.branch}")
    elif args.command == "bench":
        import importlib

        importlib.import_module(f"replicate.bench.{args.what}").main(quick=args.quick)
    elif args.command == "data":
        from . import data

        for name in args.names:
            for split in ("train", "test"):
                a = data.load(name, split, root=args.root)
                print(f"{name} {split}: {len(a.y)} examples, shape {a.x.shape[1:]}, {a.n_classes} classes")
    elif args.command == "prepare":
        from .book import pipeline

        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for fig in args.figures or list(pipeline.notebooks()):
            print(pipeline.prepare(fig, args.scale, out))
    elif args.command == "scores":
        from .atlas import table
        from .book import pipeline

        p = pipeline.resolved(pipeline.find("atlas/a1"), args.scale)["atlas"] | {"dataset": args.dataset}
        manifest = table.make(p, args.out, report=lambda m: print(m, flush=True))
        print(f"scores: {manifest.parent / 'scores.parquet'}\nmanifest: {manifest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
