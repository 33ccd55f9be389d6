"""Record the architecture seed in the stored size-class sweep rows of docs/results, once.

Rows written before sweeps recorded ``arch_seed`` lack it; the report's rerun command needs it
(``--arch-seed``). Each folder's seed is the one its recorded command drew with
(docs/RESULTS.md: ``--arch-seed 0``, the default, for the size-class sweeps; 2026 and 2027 for
the paper's experiments, :mod:`llc_explorer.bench.paper`), checked here: the first draws of
that seed must be exactly the folder's architectures. Each row gains ``"arch_seed": <seed>``
right after its ``size_class`` (where a sweep writes it today) and is otherwise left byte for
byte as it was; rows that have the field are left alone, so a second run changes nothing. The
rows of listed widths (docs/results/truth) have no seed to record: their ``arch_seed`` reads as
``None`` when absent, as a sweep would write it.

    python benchmarks/backfill_arch_seed.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from llc_explorer.dln.architectures import random_architectures

RESULTS = Path(__file__).resolve().parents[1] / "docs" / "results"

SEEDS = {
    "1e3": 0, "1e4": 0, "first_layer_1e3": 0, "first_layer_1e4": 0,
    "paper/step_size_1e5": 2026, "paper/variants_1e5": 2026, "paper/long_1e5": 2026,
    "paper/precondition_1e6": 2026, "paper/order_1e4": 2027, "paper/order_1e5": 2027,
}  # fmt: skip
"""Results folder (under docs/results) -> the architecture seed its sweep drew with."""


def check(ok: bool, what: str) -> None:
    """Stop, naming ``what``, unless ``ok``."""
    if not ok:
        raise SystemExit(f"backfill_arch_seed: {what}")


def backfilled(line: str, seed: int) -> str:
    """``line`` with ``"arch_seed": seed`` after its size class (unchanged if it has one)."""
    row = json.loads(line)
    if "arch_seed" in row:
        return line
    key = f'"size_class": {json.dumps(row["size_class"])}, '
    check(line.count(key) == 1, f"no single {key!r} in {line}")
    new = line.replace(key, f'{key}"arch_seed": {seed}, ')
    keys = list(row)
    at = keys.index("size_class") + 1
    check(list(json.loads(new)) == [*keys[:at], "arch_seed", *keys[at:]], f"key order: {new}")
    check(json.loads(new) == {**row, "arch_seed": seed}, f"values: {new}")
    return new


def backfill(folder: Path, seed: int) -> int:
    """Backfill every results file of ``folder`` (after checking that ``seed`` drew its
    architectures); returns the number of rows changed."""
    changed = 0
    for path in sorted(folder.glob("results-*.jsonl")):
        lines = path.read_text().splitlines(keepends=True)
        rows = [json.loads(line) for line in lines]
        (size,) = {row["size_class"] for row in rows}
        archs = {(tuple(row["widths"]), row["rank"]) for row in rows}
        drawn = random_architectures(size, len(archs), seed=seed)
        check({(a.widths, a.rank) for a in drawn} == archs, f"{path} was not drawn with {seed}")
        new = [backfilled(line, seed) for line in lines]
        changed += sum(old != line for old, line in zip(lines, new, strict=True))
        temporary = path.with_suffix(".tmp")
        temporary.write_text("".join(new))
        os.replace(temporary, path)
    return changed


def main() -> None:
    for name, seed in SEEDS.items():
        print(f"{name}: arch_seed {seed}, {backfill(RESULTS / name, seed)} rows backfilled")


if __name__ == "__main__":
    main()
