"""Extraction benchmark: main-text quality on the Zyte and trafilatura evaluation sets.

Scores keep-everything, trafilatura alone and Broadsheet's HTML and text paths with each
benchmark's own metric (see the eval README, section 2), after checking our scorer against
published numbers. Writes ``bench/results/extraction.json`` in the eval/bench shape (task,
dataset, n, systems, also, scorer_check) plus the machine it ran on.

    python bench/extraction.py              # all 181 + 990 pages, a few minutes
    python bench/extraction.py --limit 40   # the first 40 pages of each set
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from broadsheet.evaluation.extraction import run_extraction_eval
from broadsheet.evaluation.report import machine_info, write_report
from broadsheet.logs import configure_logging

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
# The shared evaluation data lives beside the repository, never in it (eval README).
DEFAULT_EVAL_DIR = REPO.parent / "shared" / "eval"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--eval-dir",
        type=Path,
        default=DEFAULT_EVAL_DIR,
        help=f"the shared evaluation data (default {DEFAULT_EVAL_DIR})",
    )
    parser.add_argument(
        "--limit", type=int, default=None, help="score only the first N pages of each set"
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "extraction.json")
    args = parser.parse_args()
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    if not args.eval_dir.is_dir():
        sys.exit(
            f"evaluation data not found: {args.eval_dir} is not a directory. "
            "Pass --eval-dir pointing at the shared eval folder (it holds extraction/ and "
            "extraction-trafilatura/)."
        )

    configure_logging("info")
    try:
        report = run_extraction_eval(args.eval_dir, limit=args.limit)
    except FileNotFoundError as exc:
        sys.exit(str(exc))

    result = {
        **report,
        "machine": machine_info(),
    }
    write_report(args.out, result)
    unavailable = sorted(
        name
        for dataset in (report, *report["also"])
        for name, scores in dataset["systems"].items()
        if "error" in scores
    )
    if unavailable:
        sys.exit(f"some systems could not run: {', '.join(unavailable)} (see their 'error')")


if __name__ == "__main__":
    main()
