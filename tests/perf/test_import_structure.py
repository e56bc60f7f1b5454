"""``import fal_queue`` loads only what the first call needs: no generated models, no contract
checker, no CLI or mock dependencies, and not httpx's own CLI. Each check runs in a fresh
interpreter, because this test process has imported everything already. No timings here: the
figures are bench/importtime.py's."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

DEFERRED = (
    "fal_queue_api.models",
    "fal_queue_api.api",
    "jsonschema",
    "referencing",
    "yaml",
    "click",
    "rich",
    "pygments",
    "starlette",
    "uvicorn",
    "aiohttp",
    "httpx._main",
    "fal_queue.cli",
    "fal_queue.mock",
    "fal_queue.webhooks",
)


def fresh(code: str) -> object:
    """Run ``code`` in a new interpreter; return the JSON its last line prints."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def loaded_after(statement: str) -> list[str]:
    code = (
        f"import json, sys\n{statement}\n"
        f"names = {DEFERRED!r}\n"
        "print(json.dumps(sorted(n for n in names if n in sys.modules "
        "or any(m.startswith(n + '.') for m in sys.modules))))"
    )
    found = fresh(code)
    assert isinstance(found, list)
    return found


@pytest.mark.parametrize(
    "statement",
    ["import fal_queue", "from fal_queue import AsyncClient, Client, TYPED_MODEL_IDS, Completed"],
)
def test_importing_the_sdk_defers_what_the_first_call_does_not_need(statement: str) -> None:
    assert loaded_after(statement) == []


def test_the_client_itself_needs_no_generated_models_until_a_call() -> None:
    assert loaded_after("import fal_queue; fal_queue.Client('https://gw.example', 'k').close()") == []


def test_a_typed_model_lookup_imports_the_generated_operation_and_model() -> None:
    found = fresh(
        "import json, sys\n"
        "from fal_queue import TYPED_MODEL_IDS\n"
        "from fal_queue._inputs import TYPED_MODELS\n"
        "before = 'fal_queue_api.models' in sys.modules\n"
        "ids_ok = list(TYPED_MODELS) == list(TYPED_MODEL_IDS) and 'fal-ai/flux-1/dev' in TYPED_MODELS\n"
        "still_deferred = 'fal_queue_api.models' not in sys.modules\n"
        "operation, model = TYPED_MODELS['fal-ai/flux-1/dev']\n"
        "print(json.dumps([before, ids_ok, still_deferred, operation.__name__, model.__name__]))"
    )
    assert found == [
        False,
        True,
        True,
        "fal_queue_api.api.submit.submit_flux_dev",
        "FluxDevTextToImageInput",
    ]


def test_every_exported_name_resolves_and_dir_lists_them() -> None:
    found = fresh(
        "import json, fal_queue\n"
        "missing = [n for n in fal_queue.__all__ if getattr(fal_queue, n, None) is None]\n"
        "hidden = sorted(set(fal_queue.__all__) - set(dir(fal_queue)))\n"
        "ns = {}\n"
        "exec('from fal_queue import *', ns)\n"
        "star = sorted(set(fal_queue.__all__) - set(ns))\n"
        "print(json.dumps([missing, hidden, star]))"
    )
    assert found == [[], [], []]


def test_httpx_cli_still_works_after_the_sdk_deferred_it() -> None:
    found = fresh(
        "import json, fal_queue, httpx, contextlib, io\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    code = httpx.main(['--help'], standalone_mode=False)\n"
        "import httpx._main as real\n"
        "print(json.dumps(['Usage:' in out.getvalue(), code, type(real.main).__name__]))"
    )
    assert found == [True, 0, "Command"]


def test_httpx_imported_first_is_left_alone() -> None:
    found = fresh(
        "import json, sys, httpx, fal_queue\n"
        "print(json.dumps([type(httpx.main).__name__, sys.modules['httpx._main'].main is httpx.main]))"
    )
    assert found == ["Command", True]
