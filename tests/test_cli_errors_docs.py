"""docs/errors.md lists every case of the bad-input catalogue (tests/test_cli_errors_*.py)."""

from __future__ import annotations

import tests.test_cli_errors_audit  # noqa: F401 - importing a catalogue module registers its cases
import tests.test_cli_errors_evaluate  # noqa: F401
import tests.test_cli_errors_predict  # noqa: F401
import tests.test_cli_errors_train  # noqa: F401
import tests.test_reliability_inputs  # noqa: F401
import tests.test_reliability_modelfile  # noqa: F401
import tests.test_reliability_outputs  # noqa: F401
from tests.catalogue import CASES, DOCS


def test_docs_list_every_case():
    text = DOCS.read_text(encoding="utf-8")
    missing = [name for name in CASES if f"`{name}`" not in text]
    assert not missing, f"docs/errors.md lacks {missing}"
    assert len(CASES) >= 40
