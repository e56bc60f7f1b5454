"""fal_queue.testing as a user meets it: a throwaway project runs the README's example tests with pytester."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

USER_PROJECT = Path(__file__).parent / "fixtures" / "user_project"
README = Path(__file__).resolve().parents[2] / "README.md"
EXAMPLE_TESTS = 5


def _project(pytester: pytest.Pytester, *, code: str | None = None) -> None:
    pytester.makepyfile(
        imagegen=code if code is not None else (USER_PROJECT / "imagegen.py").read_text(),
        test_imagegen=(USER_PROJECT / "test_imagegen.py").read_text(),
    )


def test_readme_shows_the_example_verbatim() -> None:
    readme = README.read_text()
    for name in ("imagegen.py", "test_imagegen.py"):
        block = f"```python\n# {name}\n{(USER_PROJECT / name).read_text()}```"
        assert block in readme, f"README.md lost the example file {name}"


def test_the_example_tests_pass_against_the_mock(pytester: pytest.Pytester) -> None:
    _project(pytester)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=EXAMPLE_TESTS)


MUTANTS = {
    # The user's code forgets to cancel on timeout: the job keeps running (and billing).
    "no cancel on timeout": (
        ("cancel_on_timeout=True", "cancel_on_timeout=False"),
        "test_timeout_cancels_the_job",
    ),
    # The user's code lets a failed job escape as fal_queue's error instead of its own.
    "failure not handled": (
        ("except JobFailedError as exc:", "except KeyError as exc:"),
        "test_failed_job",
    ),
    # The user's code sends the wrong input: the gateway's record shows it.
    "wrong input": (('"num_images": 1}', '"num_images": 2}'), "test_success"),
    # The user's code gives up on rate limits without saying so.
    "rate limit not handled": (
        ("except RateLimitError", "except ZeroDivisionError"),
        "test_rate_limit_storm",
    ),
}


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_the_example_tests_catch_wrong_user_code(pytester: pytest.Pytester, mutant: str) -> None:
    (old, new), failing = MUTANTS[mutant]
    code = (USER_PROJECT / "imagegen.py").read_text()
    assert old in code
    _project(pytester, code=code.replace(old, new))
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q", "-k", failing.split("[")[0])
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 1, result.stdout.str()
    result.stdout.fnmatch_lines([f"FAILED test_imagegen.py::{failing}*"])


def test_marker_configures_timings_keys_and_faults(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_marker="""
        import pytest
        from fal_queue import AuthenticationError
        from fal_queue.mock import Faults

        @pytest.mark.fal_mock(keys=("k-one", "k-two"), run_time=0.2, faults={"seed": 7})
        def test_loopback(fal_mock):
            assert fal_mock.key == "k-one"
            assert fal_mock.config.run_time == 0.2
            assert fal_mock.faults == Faults(seed=7)
            assert fal_mock.client().subscribe("fal-ai/flux-1/schnell", {"prompt": "x"}, timeout=30)
            assert fal_mock.requests("submit")[0]["headers"]["authorization"] == "Bearer k-one"

        @pytest.mark.fal_mock(keys=("k-in",))
        def test_inprocess_rejects_another_key(fal_mock_inprocess):
            from fal_queue import Client
            client = Client(fal_mock_inprocess.base_url, "not-the-key",
                            transport=fal_mock_inprocess.gateway.transport(), max_retries=0)
            with pytest.raises(AuthenticationError):
                client.submit("fal-ai/flux-1/schnell", {"prompt": "x"})
            assert fal_mock_inprocess.jobs() == []
            assert fal_mock_inprocess.requests("submit")[0]["headers"]["authorization"] == "Bearer not-the-key"

        def test_shared_gateway_starts_clean(fal_mock_shared):
            assert fal_mock_shared.faults == Faults()
            fal_mock_shared.set_faults(rate_limit=1.0)

        def test_shared_gateway_starts_clean_again(fal_mock_shared, fal_shared_client):
            assert fal_mock_shared.faults == Faults()
            assert fal_mock_shared.requests() == []
            fal_shared_client.subscribe("fal-ai/flux-1/schnell", {"prompt": "x"}, timeout=30)
            assert [r["operation"] for r in fal_mock_shared.requests()][0] == "submit"

        @pytest.mark.fal_mock(not_an_option=1)
        def test_unknown_option(fal_mock):
            pass
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q", "-p", "no:randomly")
    result.assert_outcomes(passed=4, errors=1)
    result.stdout.fnmatch_lines(["*unknown MockConfig options ?'not_an_option'?; known:*"])


def test_async_client_in_process(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_async="""
        import asyncio

        def test_async(fal_mock_inprocess, tmp_path):
            async def main():
                async with fal_mock_inprocess.async_client() as client:
                    handle = await client.submit("fal-ai/flux-1/dev", {"prompt": "x", "num_images": 2})
                    result = await handle.get(timeout=30)
                    return await client.download(result, tmp_path)
            paths = asyncio.run(main())
            assert len(paths) == 2
            assert fal_mock_inprocess.last_job()["model_id"] == "fal-ai/flux-1/dev"
            assert fal_mock_inprocess.stats()["requests_by_operation"]["media"] == 2
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q").assert_outcomes(passed=1)


def test_without_the_mock_extra_fixtures_say_what_to_install(pytester: pytest.Pytester) -> None:
    """pytest still starts; a test that asks for a fixture fails with the install command."""
    pytester.makeconftest(
        """
        import sys
        for name in [m for m in sys.modules if m.startswith(("starlette", "fal_queue.mock", "fal_queue.testing."))
                     and m != "fal_queue.testing.plugin"]:
            del sys.modules[name]
        sys.modules.pop("fal_queue.testing", None)

        class _NoStarlette:
            def find_spec(self, name, path=None, target=None):
                if name == "starlette" or name.startswith("starlette."):
                    raise ModuleNotFoundError(f"No module named {name!r}", name=name)
                return None

        sys.meta_path.insert(0, _NoStarlette())
        """
    )
    pytester.makepyfile(
        test_needs_mock="""
        def test_uses_it(fal_mock):
            pass

        def test_unrelated():
            assert True
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*need the mock extra: pip install 'fal-queue?mock?' (missing: starlette)"])
    assert "Traceback" not in result.stdout.str()
    assert "During handling" not in result.stdout.str()


def test_direct_import_without_the_extra_names_the_extra() -> None:
    import subprocess

    code = (
        "import sys\n"
        "class B:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('starlette', 'uvicorn'):\n"
        "            raise ModuleNotFoundError(name, name=name)\n"
        "sys.meta_path.insert(0, B())\n"
        "import fal_queue.testing.plugin\n"  # the plugin itself always imports
        "import fal_queue.testing\n"
        "try:\n"
        "    from fal_queue.testing import MockControl\n"
        "except ImportError as exc:\n"
        "    print('IMPORT-ERROR', exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert re.search(r"IMPORT-ERROR .*pip install 'fal-queue\[mock\]'", out.stdout), out.stdout + out.stderr
