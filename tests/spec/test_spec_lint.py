"""The Spectral ruleset (.spectral.yaml + tools/spectral/) passes the real spec and fails broken copies.

Every broken copy is written to a temporary folder and must make `spectral lint` report exactly the
rule it breaks (as an error) and nothing else at error level; the four cases the issue names are also
run one by one to show that Spectral's exit status is non-zero for each.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
RULESET = ROOT / ".spectral.yaml"
pytestmark = (
    pytest.mark.slow
)  # ~10 s of Spectral on two cores; `make test` runs it, `make test-fast` does not
SPEC = ROOT / "openapi.yaml"

Doc = dict[str, Any]
Runner = Callable[[list[str]], subprocess.CompletedProcess[str]]

RESULT = "/{owner}/{app}/requests/{request_id}"
STATUS = "/{owner}/{app}/requests/{request_id}/status"


def _drop_429(doc: Doc) -> None:
    del doc["paths"][RESULT]["get"]["responses"]["429"]


def _default_instead_of_500(doc: Doc) -> None:
    responses = doc["paths"][RESULT]["get"]["responses"]
    responses["default"] = responses.pop("500")


def _ranges_instead_of_codes(doc: Doc) -> None:
    responses = doc["paths"][RESULT]["get"]["responses"]
    responses["4XX"] = responses.pop("401")
    for code in ("404", "422", "429"):
        del responses[code]
    responses["5XX"] = responses.pop("500")


def _no_body_example(doc: Doc) -> None:
    del doc["paths"]["/fal-ai/flux-1/dev"]["post"]["requestBody"]["content"]["application/json"]["examples"]


def _no_response_example(doc: Doc) -> None:
    # Its error responses keep their examples: those must not count.
    for status in ("200", "202"):
        del doc["paths"][STATUS]["get"]["responses"][status]["content"]["application/json"]["examples"]


def _undescribed_property(doc: Doc) -> None:
    del doc["components"]["schemas"]["FluxDevTextToImageInput"]["properties"]["seed"]["description"]


def _undescribed_inline_webhook_property(doc: Doc) -> None:
    media = doc["webhooks"]["jobCompleted"]["post"]["requestBody"]["content"]["application/json"]
    media["schema"] = {
        "type": "object",
        "description": "Inline payload.",
        "properties": {"request_id": {"type": "string"}},
    }


def _submit_without_links(doc: Doc) -> None:
    submit = doc["paths"]["/fal-ai/flux-1/dev"]["post"]
    queued = doc["components"]["responses"]["QueuedFlux1"]
    new_op = {
        **submit,
        "operationId": "submit_new_model",
        "responses": {**submit["responses"], "200": {k: v for k, v in queued.items() if k != "links"}},
    }
    doc["paths"]["/fal-ai/new-model"] = {"post": new_op}


def _dangling_link(doc: Doc) -> None:
    doc["components"]["responses"]["QueuedKontext"]["links"]["status"]["operationId"] = "get_statuz"


def _webhook_without_summary(doc: Doc) -> None:
    del doc["webhooks"]["jobCompleted"]["post"]["summary"]


def _operation_without_tag(doc: Doc) -> None:
    del doc["paths"][RESULT]["get"]["tags"]


def _parameter_without_description(doc: Doc) -> None:
    del doc["components"]["parameters"]["Logs"]["description"]


def _schema_without_description(doc: Doc) -> None:
    del doc["components"]["schemas"]["ImageSize"]["description"]


def _version_not_semver(doc: Doc) -> None:
    doc["info"]["version"] = "1.0"


# name -> (how to break the spec, the error-level rule codes Spectral must report, nothing else)
BROKEN: dict[str, tuple[Callable[[Doc], None], set[str]]] = {
    "missing-error-response": (_drop_429, {"fal-operation-error-responses"}),
    "default-does-not-count": (_default_instead_of_500, {"fal-operation-error-responses"}),
    "ranges-count": (_ranges_instead_of_codes, set()),
    "no-request-body-example": (_no_body_example, {"fal-operation-example"}),
    "no-success-response-example": (_no_response_example, {"fal-operation-example"}),
    "property-without-description": (_undescribed_property, {"fal-property-description"}),
    "inline-webhook-property-without-description": (
        _undescribed_inline_webhook_property,
        {"fal-property-description"},
    ),
    "submit-without-links": (_submit_without_links, {"fal-submit-links"}),
    "dangling-link": (_dangling_link, {"fal-link-target", "fal-submit-links"}),
    "webhook-without-summary": (_webhook_without_summary, {"fal-operation-summary"}),
    "operation-without-tag": (_operation_without_tag, {"fal-operation-tag"}),
    "parameter-without-description": (_parameter_without_description, {"fal-parameter-description"}),
    "schema-without-description": (_schema_without_description, {"fal-schema-description"}),
    "version-not-semver": (_version_not_semver, {"fal-info-version-semver"}),
}
# The cases the issue names: each one alone must make Spectral exit non-zero.
MUST_FAIL_ALONE = [
    "missing-error-response",
    "no-request-body-example",
    "property-without-description",
    "submit-without-links",
]


def _spectral(node_bin: Callable[[str], str], *documents: Path) -> list[str]:
    return [node_bin("spectral"), "lint", *map(str, documents), "--ruleset", str(RULESET), "-f", "json", "-q"]


@pytest.fixture(scope="module")
def broken_files(
    tmp_path_factory: pytest.TempPathFactory,
    fresh_spec: Callable[[], Doc],
    write_spec: Callable[[Doc, Path], Path],
) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("broken-specs")
    files = {}
    for name, (breakage, _) in BROKEN.items():
        doc = fresh_spec()
        breakage(doc)
        files[name] = write_spec(doc, folder / f"{name}.yaml")
    return files


Codes = dict[str, set[str]]  # resolved file path -> rule codes reported at error level


def _parse(proc: subprocess.CompletedProcess[str]) -> tuple[Codes, list[dict[str, Any]]]:
    try:
        results: list[dict[str, Any]] = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"spectral did not print JSON:\n{proc.stdout}\n{proc.stderr}")
    codes: Codes = {}
    for item in results:
        if item["severity"] == 0:  # 0 error, 1 warning, 2 info, 3 hint
            codes.setdefault(str(Path(item["source"]).resolve()), set()).add(item["code"])
    return codes, results


@pytest.fixture(scope="module")
def lint_runs(
    node_bin: Callable[[str], str], run: Runner, broken_files: dict[str, Path]
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Spectral runs, in parallel: one per case the issue names, one batch for the real spec and the rest.

    (Spectral spends about a second loading the ruleset, so the other cases share one process.)
    """
    others = [path for name, path in broken_files.items() if name not in MUST_FAIL_ALONE]
    jobs = {name: _spectral(node_bin, broken_files[name]) for name in MUST_FAIL_ALONE}
    jobs["batch"] = [*_spectral(node_bin, SPEC, *others), "--fail-severity", "warn"]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return dict(zip(jobs, pool.map(run, jobs.values()), strict=True))


def test_real_spec_is_clean_even_of_warnings(lint_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    _, results = _parse(lint_runs["batch"])
    assert [r for r in results if Path(r["source"]).resolve() == SPEC.resolve()] == []


def test_the_batch_of_broken_copies_fails(lint_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    assert lint_runs["batch"].returncode != 0


@pytest.mark.parametrize("name", MUST_FAIL_ALONE)
def test_named_breakage_alone_makes_spectral_exit_non_zero(
    name: str, lint_runs: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    proc = lint_runs[name]
    assert proc.returncode != 0, f"{name}: spectral exited 0\n{proc.stdout}"


@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_copy_reports_exactly_its_rule(
    name: str, lint_runs: dict[str, subprocess.CompletedProcess[str]], broken_files: dict[str, Path]
) -> None:
    codes, _ = _parse(lint_runs[name if name in MUST_FAIL_ALONE else "batch"])
    assert codes.get(str(broken_files[name].resolve()), set()) == BROKEN[name][1]
