"""Fixtures shared by test modules."""

import pytest
from click.testing import CliRunner


@pytest.fixture(scope="session")
def full_verify(tmp_path_factory):
    """One full `symlogit verify --json --write-doc PATH` run (~25 s), shared by every test that
    needs a full verification: the CLI's JSON (result.stdout) and the claims document it wrote
    (result.doc_path)."""
    from symlogit.cli import cli

    doc_path = tmp_path_factory.mktemp("verify") / "claims.md"
    result = CliRunner().invoke(cli, ["verify", "--json", "--write-doc", str(doc_path)])
    result.doc_path = doc_path
    return result
