"""State shared by every command: connection flags, output flags, settings and error handling.

Connection and output options are accepted both before the command (``fal-queue --json status
...``) and after it (``fal-queue status ... --json``); the later one wins. Their flags come from
the SDK's settings table (``fal_queue._settings``), resolved once; the CLI's clients take the
resolved settings as they are.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click

from .. import _settings
from .. import errors as E
from .._settings import SETTINGS
from ..client import AsyncClient, Client
from ..images import ImageResizedWarning
from .errors import EXIT_ENV, EXIT_INTERRUPTED, CliError, cli_words, describe, exit_code_for, one_line
from .output import Output

F = TypeVar("F", bound=Callable[..., Any])


class Settings(_settings.Resolved):
    """The resolved settings, with what the command line adds to them."""

    @property
    def sources(self) -> dict[str, str]:
        """Where each setting not left at its default came from, as ``fal-queue config`` shows it."""
        return {name: o.label() for name, o in self.origins.items() if o.kind != "default"}

    def client(self) -> Client:
        return Client(settings=self)

    def async_client(self, max_concurrency: int | None = None) -> AsyncClient:
        return AsyncClient(settings=self, max_concurrency=max_concurrency)


def resolve_settings(
    flags: Mapping[str, Any], config_path: str | None, env: Mapping[str, str] | None = None
) -> Settings:
    """Flags > environment > config file > defaults; ``flags`` holds only options actually given.

    A bad value is the SDK's error (naming the setting and the flag, variable or file line it came
    from) as a one-line CLI error.
    """
    try:
        resolved = _settings.resolve(flags, given_as="flag", config_path=config_path, env=env)
    except E.ConfigurationError as err:
        raise CliError(err.message, EXIT_ENV) from None
    return Settings(**vars(resolved))


@dataclass
class State:
    flags: dict[str, Any] = field(default_factory=dict)
    config: str | None = None
    quiet: bool = False
    json: bool = False
    _output: Output | None = None
    _settings: Settings | None = None

    def output(self) -> Output:
        if self._output is None:
            self._output = Output(quiet=self.quiet, json_mode=self.json)
        return self._output

    def settings(self) -> Settings:
        """Resolved settings, with warnings about them printed once."""
        if self._settings is None:
            settings = resolve_settings(self.flags, self.config)
            out = self.output()
            for warning in settings.warnings:
                out.warn(warning)
            if settings.sources.get("key") == "flag":
                out.warn("--key is visible to other users of this machine (ps); prefer FAL_QUEUE_KEY")
            self._settings = settings
        return self._settings


def get_state() -> State:
    return click.get_current_context().ensure_object(State)


#: Help of the settings that have a flag (the flags themselves come from the SDK's table).
_HELP = {
    "base_url": "Gateway base URL",
    "key": "API key, never printed; prefer the env variable (a flag is visible in ps)",
    "auth_scheme": "Authorization scheme: bearer (gateways, default) or key (fal itself)",
    "strict": "Refuse input fields and values a typed model does not know (default: send them with a "
    "warning, as fal's apps ignore what they do not know)",
}


def _store(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """A common option given: a setting into ``State.flags``, --config/--json/--quiet as attributes."""
    if value is None or value is False:
        return
    state = ctx.ensure_object(State)
    if param.name in _settings.BY_NAME:
        state.flags[param.name] = value
    else:
        setattr(state, str(param.name), value)


def options(*decorators: Callable[[Any], Any]) -> Callable[[F], F]:
    """Several click options as one decorator, listed in ``--help`` in the order given."""

    def apply(f: F) -> F:
        for decorator in reversed(decorators):
            f = decorator(f)
        return f

    return apply


#: The options that are no setting: (names, is a flag, metavar, help).
_OUTPUT_OPTIONS = [
    (["--config", "config"], False, "PATH", "Config file (default $XDG_CONFIG_HOME/fal-queue/config.toml)."),
    (["--json", "json"], True, None, "Print one machine-readable JSON document on stdout."),
    (["-q", "--quiet", "quiet"], True, None, "No progress; only results, request ids, warnings and errors."),
]


def common_options() -> list[click.Parameter]:
    """The flags of the SDK's settings, then --config, --json, --quiet (all optional, all eager-free)."""
    settings = [
        (
            [s.flag, s.name],
            s.kind is bool,
            None if s.kind is bool else s.name.upper(),
            f"{_HELP.get(s.name, s.name)} (env {s.env}, config {s.name}).",
        )
        for s in SETTINGS
        if s.flag
    ]
    return [
        click.Option(decls, is_flag=flag, metavar=metavar, expose_value=False, callback=_store, help=text)
        for decls, flag, metavar, text in [*settings, *_OUTPUT_OPTIONS]
    ]


def report(err: CliError | E.FalQueueError) -> int:
    """Print ``error: ...`` (and the JSON error with --json); return the exit code."""
    code = exit_code_for(err)
    state = get_state()
    out = state.output()
    out.error(describe(err))
    if state.json:
        data: dict[str, Any] = {"message": describe(err), "type": type(err).__name__, "exit_code": code}
        request_id = getattr(err, "request_id", None)
        if request_id:
            data["request_id"] = request_id
        for attr in ("status_code", "error_type"):
            value = getattr(err, attr, None)
            if value is not None:
                data[attr] = value
        out.out_json({"error": data})
    return code


#: The SDK's warnings a command-line user acts on, shown as the CLI's own ``warning:`` lines.
SHOWN_WARNINGS = (ImageResizedWarning, E.FlaggedImageWarning)


@contextlib.contextmanager
def sdk_warnings(out: Output) -> Iterator[None]:
    """``SHOWN_WARNINGS`` as one ``warning:`` line each, once per message (an image resized for the
    check and again for the submit, or flagged, is told once); other warnings as Python shows them."""
    seen: set[str] = set()
    with warnings.catch_warnings():
        show = warnings.showwarning

        def shown(message: Warning | str, category: type[Warning], *where: Any, **more: Any) -> None:
            if not issubclass(category, SHOWN_WARNINGS):
                show(message, category, *where, **more)
            elif str(message) not in seen:
                seen.add(str(message))
                out.warn(one_line(cli_words(str(message))))

        for category in SHOWN_WARNINGS:
            warnings.simplefilter("always", category)
        warnings.showwarning = shown
        yield


def command(name: str, **attrs: Any) -> Callable[[Callable[..., Any]], click.Command]:
    """A subcommand: ``click.command`` with the common options after its own. Its errors (CliError,
    SDK errors, Ctrl-C, local OSErrors) become one line and an exit code; the SDK's warnings about
    the user's images are shown (``sdk_warnings``)."""

    def make(f: Callable[..., Any]) -> click.Command:
        @functools.wraps(f)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                with sdk_warnings(get_state().output()):
                    return f(*args, **kwargs)
            except (CliError, E.FalQueueError) as err:
                raise click.exceptions.Exit(report(err)) from None
            except KeyboardInterrupt:
                raise click.exceptions.Exit(report(CliError("interrupted", EXIT_INTERRUPTED))) from None
            except BrokenPipeError:
                raise
            except OSError as err:  # the local side: unwritable --out, disk full, unreadable file
                raise click.exceptions.Exit(report(CliError(one_line(str(err)), EXIT_ENV))) from None

        made = click.command(name, cls=click.Command, **attrs)(run)
        made.params += common_options()
        return made

    return make
