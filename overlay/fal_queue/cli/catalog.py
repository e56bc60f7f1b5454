"""``fal-queue models``: the typed models and their parameters, from the packaged spec."""

from __future__ import annotations

import click
from rich.table import Table

from .context import command, get_state
from .errors import CliError, clean
from .models import ModelInfo, did_you_mean, model_info, typed_models
from .output import Output


def _print_list(out: Output, models: list[ModelInfo]) -> None:
    console = out.table_console()
    if console is not None:
        table = Table(box=None, show_header=True, header_style="bold")
        table.add_column("model")
        table.add_column("required")
        table.add_column("summary")
        for m in models:
            table.add_row(m.model_id, ", ".join(m.required), m.summary)
        console.print(table)
        return
    width = max(len(m.model_id) for m in models)
    for m in models:
        out.out(f"{m.model_id:<{width}}  required: {', '.join(m.required) or '-':<22}  {m.summary}")
    out.out("details: fal-queue models MODEL")


def _print_model(out: Output, m: ModelInfo) -> None:
    out.out(f"{m.model_id}: {m.summary}")
    if m.description:
        out.out(clean(m.description))
    out.out(f"input schema: {m.input_schema}")
    out.out("")
    console = out.table_console()
    if console is not None:
        table = Table(box=None, show_header=True, header_style="bold")
        for column in ("parameter", "type", "required", "default", "values", "description"):
            table.add_column(column, overflow="fold")
        for p in m.params:
            table.add_row(
                p.name, p.type, "yes" if p.required else "", p.default or "", p.constraints, p.description
            )
        console.print(table)
    else:
        for p in m.params:
            bits = [p.type, "required" if p.required else "optional"]
            if p.default is not None:
                bits.append(f"default {p.default}")
            if p.constraints:
                bits.append(p.constraints)
            out.out(f"  {p.name} ({'; '.join(bits)})")
            if p.description:
                out.out(f"      {p.description}")
    out.out("")
    flags = {
        "prompt": '--prompt "..."',
        "image_url": "--image-url URL",
        "image_urls": "--image-url URL --image-url URL",
    }
    example = " ".join(flags.get(name, f"-p {name}=...") for name in m.required)
    out.out(f"example: fal-queue run {m.model_id} {example}".rstrip())


@command(
    "models",
    epilog="""
\b
Examples:
  fal-queue models                              # the typed models and their required inputs
  fal-queue models fal-ai/flux-1/dev            # every parameter: type, default, range, description
  fal-queue models fal-ai/flux-1/dev --json
\b
Models not listed here work too (untyped): their arguments are sent as given.
""",
)
@click.argument("model", required=False)
def models_command(model: str | None) -> None:
    """List the typed models, or show one model's parameters."""
    out = get_state().output()
    if model is None:
        models = typed_models()
        if out.json:
            out.out_json([m.to_json() for m in models])
        else:
            _print_list(out, models)
        return
    info = model_info(model)
    if info is None:
        known = ", ".join(m.model_id for m in typed_models())
        raise CliError(
            f"unknown model id {model}: the packaged contract does not declare it; {did_you_mean(model)}"
            f"typed models: {known} (a gateway may still serve it; run sends its arguments untyped)"
        )
    if out.json:
        out.out_json(info.to_json())
    else:
        _print_model(out, info)
