"""``fal-queue config``: which settings are in effect and where each one comes from."""

from __future__ import annotations

from .._settings import SETTINGS
from .context import command, get_state


@command(
    "config",
    epilog="""
\b
Examples:
  fal-queue config
  fal-queue config --json
\b
Precedence: flags > environment variables > config file. The key itself is never printed.
""",
)
def config_command() -> None:
    """Show the effective settings and their sources (the key is never shown)."""
    state = get_state()
    out = state.output()
    settings = state.settings()
    rows = {}
    for name in (s.name for s in SETTINGS):
        value = getattr(settings, name)
        shown = ("<set>" if value else None) if name == "key" else value
        rows[name] = {"value": shown, "source": settings.sources.get(name, "default")}
    if out.json:
        out.out_json({"config_file": str(settings.config_path), "settings": rows})
        return
    path = settings.config_path
    out.out(f"config file: {path}{'' if path.exists() else ' (none)'}")
    for name, row in rows.items():
        value = "-" if row["value"] is None else row["value"]
        out.out(f"{name:<12} {value!s:<40} {row['source']}")
