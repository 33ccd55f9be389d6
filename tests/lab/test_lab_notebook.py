"""The lab notebook against the package: every exercise is asked and answered, each folded
answer agrees with the package's closed form, the executed HTML copy is current, and the
stored step-size sweep reads back as its command says."""

from __future__ import annotations

import importlib.util
import json
import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from llc_explorer.lab import EXERCISES, check, expected
from llc_explorer.lab.stored import find_stored, stored_step_sweep
from llc_explorer.lab.update_rules import update_rule_checks

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "02_sgmcmc_tutorial.ipynb"


def load_tutorial_script():
    spec = importlib.util.spec_from_file_location("tutorial", ROOT / "docs" / "tutorial.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cells(kind: str) -> list[str]:
    notebook = json.loads(NOTEBOOK.read_text())
    return ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == kind]


def folded_answers() -> dict[str, str]:
    (answers,) = [text for text in cells("markdown") if text.startswith("## 8. Answers")]
    return dict(re.findall(r"\*\*(\w+) = ([^*]+?)\*\*", answers))


def parse(text: str):
    if re.fullmatch(r"-?\d+/\d+", text):
        return Fraction(text)
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    try:
        return float(text)
    except ValueError:
        return text


def test_every_exercise_is_asked_once_and_answered():
    asked = re.findall(r'check\("(\w+)"', "\n".join(cells("code")))
    assert sorted(asked) == sorted(EXERCISES)
    assert sorted(folded_answers()) == sorted(EXERCISES)


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_the_folded_answer_agrees_with_the_closed_form(name, capsys):
    stored = parse(folded_answers()[name])
    assert check(name, stored), capsys.readouterr().out
    truth = expected(name)
    if isinstance(truth, str):
        assert str(stored).lower() == truth.lower()  # a choice: "below", or "12" as text
    else:  # the folded value is the closed form to the digits it shows
        assert float(stored) == pytest.approx(float(truth), rel=1e-3)


def test_the_notebook_is_stored_clean_in_lab_mode():
    notebook = json.loads(NOTEBOOK.read_text())
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert all(not c["outputs"] and c["execution_count"] is None for c in code)
    assert "LAB = True" in "".join(code[0]["source"])


def test_the_executed_copy_is_current():
    tutorial = load_tutorial_script()
    assert tutorial.HTML.exists(), "no executed copy: run python docs/tutorial.py"
    assert tutorial.stored_fingerprint() == tutorial.fingerprint(), (
        "docs/tutorial/02_sgmcmc_tutorial.html is stale for the notebook, the package or the "
        "stored runs: run python docs/tutorial.py (about 3 minutes)"
    )


def test_the_fingerprint_sees_code_and_not_comments(tmp_path):
    tutorial = load_tutorial_script()
    source = '"""Doc."""\n\ndef f(x):\n    """Doc."""\n    return x + 1  # note\n'
    same = '"""Other doc."""\n\ndef f(x):\n    return x + 1\n'
    changed = '"""Doc."""\n\ndef f(x):\n    return x + 2\n'
    assert tutorial.code_digest(source) == tutorial.code_digest(same)
    assert tutorial.code_digest(source) != tutorial.code_digest(changed)


def test_the_stored_sweep_reads_back_with_its_command():
    sweep = stored_step_sweep()
    assert set(sweep.errors) == {"sgld", "rmsprop_sgld"}
    for steps, errors in sweep.errors.values():
        assert steps.size == 9 and np.all(np.diff(steps) > 0)
        assert np.isnan(errors[-1])  # 1e-4 diverges for both
    assert "--steps 30000" in sweep.command and "--out docs/results/tutorial" in sweep.command
    assert find_stored(ROOT / "notebooks") == ROOT / "docs" / "results" / "tutorial"


def test_each_update_rule_is_the_code():
    assert update_rule_checks() == dict.fromkeys(
        ["sgld", "rmsprop_sgld", "adam_sgld", "sghmc", "sgnht"], True
    )
