"""Sandbox exceptions. The sandbox imports nothing from rewardkit, so these stand alone."""

from __future__ import annotations


class SandboxError(RuntimeError):
    """Root of the sandbox's exceptions."""


class SandboxUnavailableError(SandboxError):
    """No isolation tier can be set up here and the unsafe local mode was not requested.

    Fail closed: untrusted code is never run unisolated by accident. Opt in with
    ``SandboxPool(allow_unsafe=True)`` or ``REWARDKIT_SANDBOX_UNSAFE=1`` on a machine you
    are willing to lose.
    """


class TestFormatError(SandboxError, ValueError):
    """The ``tests`` value of a row has a shape the sandbox does not understand."""

    __test__ = False  # not a pytest test class


class LanguageUnavailableError(SandboxError):
    """The requested language cannot run here (e.g. no C compiler): fail closed, never a
    wrong answer."""
