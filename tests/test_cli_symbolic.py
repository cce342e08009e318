"""`symlogit verify` and `symlogit derive` through click, exit codes and output shapes."""

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from symlogit.cli import cli


# full_verify (tests/conftest.py): one full `symlogit verify --json --write-doc PATH` run per session


def test_full_verify_passes_with_one_json_object(full_verify):
    assert full_verify.exit_code == 0, full_verify.output
    data = json.loads(full_verify.stdout)  # exactly one JSON object: this parses the whole of stdout
    assert set(data) == {"claims", "controls"}
    for row in data["claims"]:
        assert row["status"] in ("proven", "numeric")
        assert isinstance(row["seconds"], float) and row["method"]
    assert {r["id"] for r in data["controls"]} == {f"W{i}" for i in range(1, 13)}
    assert all(r["status"] == "rejected" for r in data["controls"])


def test_full_verify_proves_every_reference_claim(full_verify):
    statuses = {r["id"]: r["status"] for r in json.loads(full_verify.stdout)["claims"]}
    for cid in [f"B{i}" for i in range(1, 7)] + [f"M{i}" for i in range(1, 17)] + [f"C{i}" for i in range(1, 5)] + \
            ["F4", "F5"]:
        assert statuses[cid] == "proven", cid


def test_only_selects_claims_and_controls():
    result = CliRunner().invoke(cli, ["verify", "--only", "B5,W1", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert [r["id"] for r in data["claims"]] == ["B5"] and [r["id"] for r in data["controls"]] == ["W1"]


def test_write_doc_refuses_only_and_a_bad_path_before_any_work(tmp_path):
    for args, needle in ((["--only", "B3", "--write-doc", tmp_path / "c.md"], "drop --only"),
                         (["--write-doc", tmp_path / "missing" / "c.md"], "does not exist")):
        result = CliRunner().invoke(cli, ["verify", *map(str, args)])
        assert result.exit_code == 2 and needle in result.output, result.output
    assert list(tmp_path.iterdir()) == []


def test_table_output():
    result = CliRunner().invoke(cli, ["verify", "--only", "B3"])
    assert result.exit_code == 0 and "B3" in result.output and "proven" in result.output


@pytest.mark.parametrize("args,needle", [
    (["verify", "--only", "B3,NOPE"], "valid IDs: F1"),
    (["derive", "trinomial"], "'logit', 'probit', 'cloglog', 'poisson', 'softmax'"),
    (["derive", "logit", "--format", "pdf"], "'text', 'latex', 'markdown'"),
])
def test_bad_input_is_one_line_exit_2(args, needle):
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines() if hasattr(result, "stderr") else result.output.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in result.output


def test_bad_input_as_real_subprocess_has_no_traceback():
    proc = subprocess.run([sys.executable, "-m", "symlogit.cli", "verify", "--only", "Q9"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr and "valid IDs" in proc.stderr


@pytest.mark.parametrize("model", ["logit", "softmax"])
@pytest.mark.parametrize("fmt", ["text", "latex", "markdown"])
def test_derive_prints_steps_ending_in_kernel_formulas(model, fmt):
    result = CliRunner().invoke(cli, ["derive", model, "--format", fmt])
    assert result.exit_code == 0
    out = result.output
    assert "Derivation" in out
    assert any(tag in out for tag in ("[C4]", "**C4**"))
    if fmt == "markdown":
        assert out.count("```math") >= 10 and ("\\sigma" in out or "LSE" in out)
    if model == "logit":
        assert "softplus" in out
    else:
        assert "LSE" in out or "logsumexp" in out


@pytest.mark.parametrize("model, tags, needle", [
    ("probit", ("P1", "P2", "P3", "P4"), "erfc"), ("cloglog", ("G1", "G2", "G3", "G4"), "exp"),
    ("poisson", ("Q1", "Q2"), "exp")])
def test_derive_every_family_from_its_raw_definition(model, tags, needle):
    out = CliRunner().invoke(cli, ["derive", model]).output
    assert f"Derivation: family {model}" in out and needle in out
    assert all(f"[{tag}]" in out for tag in tags)
