"""`symlogit generate`: reproducible files, --check, safe --out, packaging, numpy+numba only."""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from symlogit.cli import cli
from symlogit.codegen.writer import default_out_dir, render_all, source_hash

REPO = Path(__file__).resolve().parents[1]
GENERATED = REPO / "generated"


def test_committed_files_are_what_the_sources_produce():
    result = CliRunner().invoke(cli, ["generate", "--check"])
    assert result.exit_code == 0, result.output
    assert default_out_dir() == GENERATED


def test_regeneration_is_byte_identical(tmp_path):
    for run in ("a", "b"):
        assert CliRunner().invoke(cli, ["generate", "--out", str(tmp_path / run)]).exit_code == 0
    for name in render_all():
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes() == \
            (GENERATED / name).read_bytes()


def test_header_names_generator_sympy_hash_and_instruction():
    import sympy
    for name, text in render_all().items():
        head = "\n".join(text.splitlines()[:3])
        assert f"SymPy {sympy.__version__}" in head and source_hash() in head
        assert "symlogit generate 0." in head and "Do not edit; run `symlogit generate`" in head


def test_check_names_each_edited_or_missing_file(tmp_path):
    out = tmp_path / "gen"
    CliRunner().invoke(cli, ["generate", "--out", str(out)])
    with open(out / "logit.py", "a") as fh:
        fh.write("# a hand edit\n")
    (out / "softmax.py").unlink()
    result = CliRunner().invoke(cli, ["generate", "--check", "--out", str(out)])
    assert result.exit_code == 1
    assert "logit.py" in result.output and "softmax.py" in result.output and "__init__.py" not in result.output
    assert "poisson.py" not in result.output


def test_out_to_a_file_is_a_one_line_error_and_writes_nothing(tmp_path):
    target = tmp_path / "afile"
    target.write_text("keep me")
    result = CliRunner().invoke(cli, ["generate", "--out", str(target)])
    assert result.exit_code == 2 and "is a file" in result.output and len(result.output.strip().splitlines()) == 1
    assert target.read_text() == "keep me" and sorted(os.listdir(tmp_path)) == ["afile"]


def test_out_not_writable_is_a_one_line_error():
    result = CliRunner().invoke(cli, ["generate", "--out", "/proc/symlogit-generated"])
    assert result.exit_code == 2 and "not writable" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_generated_modules_import_without_sympy():
    code = (
        "import sys\n"
        "sys.modules['sympy'] = None  # any 'import sympy' now raises ImportError\n"
        "import numpy as np\n"
        "from symlogit.kernels import FAMILIES, module\n"
        "print(module('logit').loss(np.ones((2, 1)), np.array([0.0, 1.0]), np.zeros(2)))\n"
        "for name in FAMILIES: module(name)\n"
        "import symlogit.family, symlogit.estimator\n"
        "assert not any(m.split('.')[0] == 'sympy' for m in sys.modules if sys.modules[m] is not None)\n"
        "import symlogit.kernels as k; print(k.logit.__file__)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.split()
    assert float(lines[0]) == pytest.approx(2 * 0.6931471805599453)
    assert lines[1].endswith("logit.py")


def test_generated_sources_import_only_numpy_and_numba():
    names = [p.name for p in GENERATED.glob("*.py") if p.name != "__init__.py"]
    assert len(names) >= 5, names
    for name in names:
        imports = {line.split()[1].split(".")[0] for line in (GENERATED / name).read_text().splitlines()
                   if line.startswith(("import ", "from "))}
        assert imports == {"math", "numba", "numpy"}, imports


def test_wheel_contains_the_generated_modules(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    wheel = next(tmp_path.glob("symlogit-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for name in ("logit.py", "softmax.py", "probit.py", "cloglog.py", "poisson.py", "__init__.py"):
        assert f"symlogit/_generated/{name}" in names
    assert "symlogit/kernels.py" in names


def _read_only_mount(src: Path, dst: Path) -> bool:
    dst.mkdir()
    ok = subprocess.run(["mount", "--bind", str(src), str(dst)], capture_output=True).returncode == 0
    if ok and subprocess.run(["mount", "-o", "remount,ro,bind", str(dst)], capture_output=True).returncode == 0:
        return True
    if ok:
        subprocess.run(["umount", str(dst)])
    return False


def test_numba_cache_works_from_a_read_only_package(tmp_path):
    """The kernels run (twice, the second time from cache) when their directory is read-only:
    numba falls back from __pycache__ to the user-wide cache directory under $HOME."""
    src = tmp_path / "src" / "rokernels"
    src.mkdir(parents=True)
    for name in render_all():
        shutil.copy(GENERATED / name, src / name)
    mounted = tmp_path / "ro"
    if os.geteuid() == 0:
        if not _read_only_mount(tmp_path / "src", mounted):
            pytest.skip("cannot make a read-only mount here (root ignores file permissions)")
    else:
        os.chmod(src, 0o555)
        mounted = tmp_path / "src"
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")}
    env.pop("NUMBA_CACHE_DIR", None)
    code = ("import sys, numpy as np; sys.path.insert(0, sys.argv[1]); from rokernels import logit\n"
            "print(logit.loss_grad(np.ones((3, 2)), np.array([0., 1., 1.]), np.zeros(3))[0])")
    try:
        with pytest.raises(OSError):
            (mounted / "rokernels" / "probe").write_text("x")
        for _ in range(2):
            proc = subprocess.run([sys.executable, "-c", code, str(mounted)], capture_output=True, text=True, env=env)
            assert proc.returncode == 0, proc.stderr[-2000:]
            assert float(proc.stdout) == pytest.approx(3 * 0.6931471805599453)
        assert list(home.rglob("*.nbi")), "numba wrote no cache index under $HOME"
    finally:
        if mounted != tmp_path / "src":
            subprocess.run(["umount", str(mounted)])


def test_every_exp_goes_to_the_polynomial_and_log1p_only_of_provably_unit_arguments():
    """F4's polynomial exp holds on the whole line; F5's log1p for arguments in [0, 1] only: the
    printer routes log1p of an exp to it only where SymPy's assumptions prove the exponent <= 0."""
    import sympy as sp
    from sympy.codegen.cfunctions import log1p

    from symlogit.codegen.printer import exp_polynomial, log1p_unit, to_polynomial_calls
    u = sp.Symbol("u", real=True)
    assert to_polynomial_calls(sp.exp(-sp.Abs(u))) == exp_polynomial(-sp.Abs(u))
    assert to_polynomial_calls(log1p(sp.exp(-sp.Abs(u)))) == log1p_unit(exp_polynomial(-sp.Abs(u)))
    assert to_polynomial_calls(sp.exp(u)) == exp_polynomial(u)
    assert to_polynomial_calls(log1p(sp.exp(u))) == log1p(exp_polynomial(u))
    # undecided (SymPy cannot prove u - max(u, 1) <= 0): log1p is left to libm, on the safe side
    assert to_polynomial_calls(log1p(sp.exp(u - sp.Max(u, 1)))) == log1p(exp_polynomial(u - sp.Max(u, 1)))