"""Story view benchmark (#8): the figures of ``broadsheet eval storyview`` with the machine noted.

Runs, in one process:

- the ECB+ **dev** split's gold events (where the summary thresholds were chosen) and the **test**
  split's 20 gold events (reported, never tuned on): citation precision/recall, redundancy and
  participant coverage of our summary beside the lead-sentence and centroid baselines, and story
  views per second;
- the demo corpus: conflict precision/recall against the planted conflicts, agreed/unique
  precision/recall, views per second, and the same conflicts as the clustered stories show them.

Writes ``bench/results/storyview.json`` in the eval/bench shape (task, dataset, n, systems, also).

    python bench/storyview.py                 # a minute or two (spaCy over 400 ECB+ documents)
    python bench/storyview.py --splits test
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from broadsheet.evaluation.report import machine_info, write_report
from broadsheet.evaluation.storyview import run_demo_eval, run_ecb_eval

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
DEFAULT_EVAL_DIR = REPO.parent / "shared" / "eval"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--splits", default="dev,test", help="ECB+ splits (test always)")
    parser.add_argument("--out", type=Path, default=RESULTS / "storyview.json")
    args = parser.parse_args()
    if not (args.eval_dir / "clustering").is_dir():
        sys.exit(f"no evaluation data in {args.eval_dir} (see --eval-dir)")
    splits = sorted({*args.splits.split(","), "test"}, key=("dev", "test").index)
    reports = {split: run_ecb_eval(args.eval_dir, split=split) for split in splits}
    test = reports.pop("test")
    also = [*reports.values(), run_demo_eval()]
    write_report(args.out, {**test, "also": also, "machine": machine_info()})


if __name__ == "__main__":
    main()
