"""What every command shares: exit codes, consoles, and one-line error reporting.

* rich is imported inside the console helpers, so ``rewardkit --help`` and
  scripted runs stay fast;
* an expected failure is one line on stderr (``error: FILE:LINE: ...`` naming the
  reward and the field) and exit status 2; ``REWARDKIT_TRACEBACK=1`` re-raises
  for a full traceback instead.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer

__all__ = ["EXIT_INTERRUPTED", "EXIT_THRESHOLD", "EXIT_USAGE", "clean_errors"]


F = TypeVar("F", bound=Callable[..., Any])


EXIT_USAGE = 2


EXIT_THRESHOLD = 1


EXIT_INTERRUPTED = 130


def _stderr() -> Any:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def _stdout() -> Any:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def _fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    sys.stderr.write(f"error: {message}\n")
    sys.stderr.flush()
    return typer.Exit(code)


def clean_errors(fn: F) -> F:
    """Turn exceptions into one ``error: ...`` line (full traceback with REWARDKIT_TRACEBACK=1).

    Errors rewardkit raises on purpose already name file:line, reward and field,
    so a traceback would only bury them; anything else is reported as an internal
    error with its type, since that is a bug worth a report.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ..contract._errors import RewardkitError

        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            raise _fail("interrupted", EXIT_INTERRUPTED) from None
        except Exception as exc:
            if os.environ.get("REWARDKIT_TRACEBACK"):
                raise
            if isinstance(exc, RewardkitError):
                raise _fail(str(exc)) from None
            if isinstance(exc, OSError) and exc.filename:
                raise _fail(f"{exc.filename}: {exc.strerror}") from None
            raise _fail(
                f"internal error: {type(exc).__name__}: {exc} "
                "(set REWARDKIT_TRACEBACK=1 for the traceback)",
                1,
            ) from None

    return wrapper  # type: ignore[return-value]
