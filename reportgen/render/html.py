"""The Jinja2 environment: sandboxed, autoescaped, strict about undefined names."""

from __future__ import annotations

import functools
import traceback
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..errors import RenderError


def _bundled() -> Path:
    from ..bundled import bundled_path

    return bundled_path("templates")


LARGEST = 1 << 20  # the most items or characters a template may make with * and the largest power with **


class _Sandbox(ImmutableSandboxedEnvironment):
    """The sandbox, with * and ** bounded: '{{ "x" * 10**10 }}' or '{{ 10 ** 10 ** 10 }}' in a template
    of one's own is refused (a SecurityError, exit 2) instead of filling the memory."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(left, (int, float)) and isinstance(right, (int, float)) and abs(right) > 64 and abs(left) > 1:
            raise jinja2.exceptions.SecurityError(f"the power {left} ** {right} is too large for a template")
        if operator == "*":
            sized = next((x for x in (left, right) if isinstance(x, (str, list, tuple))), None)
            count = right if sized is left else left
            if sized is not None and isinstance(count, int) and len(sized) * count > LARGEST:
                raise jinja2.exceptions.SecurityError(f"repeating a value {count} times makes more than {LARGEST} items")
        return super().call_binop(context, operator, left, right)


@functools.lru_cache(maxsize=8)
def environment(templates: Path) -> jinja2.Environment:
    """Every template but *.txt.j2 is HTML and escaped; templates cannot reach into Python objects.
    A folder of one's own needs only the files it changes: the others come from the bundled set.

    One environment per folder, kept: check() compiles every template before the run starts and
    the documents reuse them instead of compiling them again (Jinja recompiles a file that changed
    on disk since)."""
    if not templates.is_dir():
        raise RenderError(f"Template folder {templates} does not exist.", "Fix 'templates' in the config, or remove it to use the bundled ones.")
    folders = [str(templates)] if templates.resolve() == _bundled().resolve() else [str(templates), str(_bundled())]
    return _Sandbox(
        loader=jinja2.FileSystemLoader(folders),
        autoescape=jinja2.select_autoescape(enabled_extensions=(), disabled_extensions=("txt.j2",), default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _where(exc: BaseException, name: str) -> str:
    """The template file and line an error happened in (Jinja keeps them in the traceback)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(".j2")]
    return f"{frames[-1].filename} line {frames[-1].lineno}" if frames else f"Template '{name}'"


def render(env: jinja2.Environment, name: str, context: dict[str, Any]) -> str:
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateNotFound as exc:
        raise RenderError(f"Template '{exc.name}' is missing from {env.loader.searchpath[0]}.", "Restore it, or remove 'templates' from the config to use the bundled ones.") from None  # type: ignore[union-attr]
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(f"{exc.filename or exc.name} line {exc.lineno}: template syntax error: {_sentence(exc.message)}", "Fix the template.") from None
    except jinja2.UndefinedError as exc:
        raise RenderError(f"{_where(exc, name)}: the template uses an unknown value: {_sentence(exc.message)}", "Fix the template; the values it receives are listed in render/view.py.") from None
    except jinja2.exceptions.SecurityError as exc:
        raise RenderError(f"{_where(exc, name)}: the template tried an unsafe operation: {_sentence(str(exc))}", "Templates may only format the values they are given.") from None
    except RecursionError as exc:
        raise RenderError(f"{_where(exc, name)}: the template includes itself, directly or through others.", "Fix the template's includes.") from None
    except Exception as exc:  # division by zero, a type error, a range too large: in a template of one's own, the template's mistake
        where = _own_template(exc)
        if where is None:
            raise  # in a bundled template: a bug in reportgen
        raise RenderError(f"{where}: the template failed: {type(exc).__name__}: {_sentence(str(exc))}", "Fix the template.") from None


def _own_template(exc: BaseException) -> str | None:
    """'file line n' of the innermost template frame when it is not a bundled template, else None."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(".j2")]
    if not frames or Path(frames[-1].filename).resolve().is_relative_to(_bundled().resolve()):
        return None
    return f"{frames[-1].filename} line {frames[-1].lineno}"


def _sentence(text: str | None) -> str:
    return (text or "").strip().rstrip(".") + "."




def check(templates: Path) -> None:
    """Refuse a template folder that lacks a document or has a syntax error, before any work starts."""
    env = environment(templates)
    for name in env.list_templates(filter_func=lambda n: n.endswith(".j2")):
        try:
            env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            raise RenderError(f"{exc.filename or templates / name} line {exc.lineno}: template syntax error: {_sentence(exc.message)}", "Fix the template.") from None
