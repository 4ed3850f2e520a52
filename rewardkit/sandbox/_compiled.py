"""Compiled languages (C, C++): the in-sandbox compile and exec steps, and the parent's verdicts.

Both steps run as ordinary sandbox jobs, inside the confined job process (after
:func:`._jail.confine`: same namespaces, read-only root, slot uid, rlimits, Landlock, seccomp):

* ``compile``: write the source into the private workdir, fork the compiler (gcc/g++, found in
  the jail's read-only ``/usr``) and wait for it; report ``C <exit code> <base64 binary>`` on the
  result fd. The compiler's diagnostics go to the job's stderr. A compiler that the jail cannot
  see reports ``N <name>`` (fail closed: the language is unavailable, never a wrong answer).
* ``binary``: write the compiled binary into the workdir and ``execve`` it with the test's stdin
  (the result fd is close-on-exec: the binary can write no records). The parent compares its
  stdout with the expected output, which never enters the sandbox.

The workdir is emptied after every job, so the binary travels back to the parent after
compilation and into each test's job again (one job per stdin/stdout case, as for Python).
"""

from __future__ import annotations

import base64
import fcntl
import os
import shutil
import signal
from typing import Any, NoReturn

from ._result import Status, TestResult
from ._verdict import Records, death_status, stdout_matches

MODES = ("compile", "binary")
LANGUAGES: dict[str, str] = {"c": "c", "cpp": "cpp", "c++": "cpp", "cxx": "cpp", "cc": "cpp"}
COMPILERS: dict[str, str] = {"c": "gcc", "cpp": "g++"}
_FLAGS: dict[str, tuple[str, ...]] = {
    "c": ("-x", "c", "-std=gnu17", "-O2", "-w"),
    "cpp": ("-x", "c++", "-std=gnu++17", "-O2", "-w"),
}
_SOURCE = {"c": "main.c", "cpp": "main.cpp"}
_PATH = "/usr/local/bin:/usr/bin:/bin"
_DIAGNOSTIC_LINES = 12
_DIAGNOSTIC_CHARS = 1200


def normalise(language: str) -> str:
    """``python``, ``c`` or ``cpp``; raises ValueError naming the valid languages."""
    lang = (language or "python").strip().lower()
    if lang in ("python", "py", "python3"):
        return "python"
    if lang in LANGUAGES:
        return LANGUAGES[lang]
    raise ValueError(f"language {language!r} is not supported; valid: 'python', 'c', 'cpp'")


# --- inside the sandbox (a confined job process; never returns) ---------------------------------


def _emit(line: str) -> None:
    data = (line + "\n").encode()
    while data:
        data = data[os.write(3, data) :]


def run(job: dict[str, Any]) -> NoReturn:
    code = 1
    try:
        os.environ["PATH"] = _PATH
        if job["mode"] == "compile":
            code = _compile(job)
        else:
            _exec_binary(job)
    except BaseException as exc:
        try:
            _emit(f"E {type(exc).__name__}: {exc}"[:400])
        except BaseException:
            pass
    os._exit(code)


def _compile(job: dict[str, Any]) -> int:
    lang = job["language"]
    compiler = shutil.which(COMPILERS[lang], path=_PATH)
    if compiler is None:
        _emit(f"N {COMPILERS[lang]}")
        return 1
    workdir = os.getcwd()
    source = os.path.join(workdir, _SOURCE[lang])
    binary = os.path.join(workdir, "a.out")
    with open(source, "w", encoding="utf-8", errors="replace") as fh:
        fh.write(job["code"])
    argv = [COMPILERS[lang], *_FLAGS[lang], "-o", binary, source, "-lm"]
    fcntl.fcntl(3, fcntl.F_SETFD, fcntl.FD_CLOEXEC)
    _emit("R")
    pid = os.fork()
    if pid == 0:
        try:
            _default_signals()
            os.execve(compiler, argv, dict(os.environ))
        finally:
            os._exit(127)
    _, status = os.waitpid(pid, 0)
    exit_code = os.waitstatus_to_exitcode(status)
    data = b""
    if exit_code == 0:
        with open(binary, "rb") as fh:
            data = fh.read()
    _emit(f"C {exit_code} {base64.b64encode(data).decode()}")
    return 0


def _exec_binary(job: dict[str, Any]) -> None:
    path = os.path.join(os.getcwd(), "prog")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o700)
    try:
        view = memoryview(base64.b64decode(job["binary"]))
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)
    env = {"HOME": os.getcwd(), "TMPDIR": os.getcwd(), "LANG": "C.UTF-8", "PATH": _PATH}
    fcntl.fcntl(3, fcntl.F_SETFD, fcntl.FD_CLOEXEC)  # the binary cannot write records
    _emit("R")
    _default_signals()
    os.execve(path, ["./prog"], env)


def _default_signals() -> None:
    """Python ignores SIGPIPE and SIGXFSZ; ignored dispositions would survive ``execve``."""
    for sig in (signal.SIGPIPE, signal.SIGXFSZ):
        signal.signal(sig, signal.SIG_DFL)


# --- in the parent ------------------------------------------------------------------------------


def compile_outcome(reply: dict[str, Any]) -> tuple[str, int | None, bytes]:
    """(kind, exit code, binary) from a compile job's result lines; kind is ``missing``,
    ``compiled`` or ``died`` (no verdict line: killed, or crashed)."""
    for line in str(reply.get("res", "")).split("\n"):
        if line.startswith("N "):
            return "missing", None, b""
        if line.startswith("C "):
            _, code_text, data = (line.split(" ", 2) + ["", ""])[:3]
            try:
                return "compiled", int(code_text), base64.b64decode(data)
            except ValueError:
                return "died", None, b""
    return "died", None, b""


def diagnostics(stderr: str) -> str:
    """The first lines of the compiler's output, without the workdir's path."""
    lines = [line for line in stderr.replace("\r", "").split("\n") if line.strip()]
    text = "\n".join(lines[:_DIAGNOSTIC_LINES])
    for prefix in ("/tmp/", os.path.join(os.path.realpath("/tmp"), "")):
        text = text.replace(prefix, "")
    return text[:_DIAGNOSTIC_CHARS]


def binary_result(
    index: int, reply: dict[str, Any], records: Records, expected: str, tol: float | None
) -> TestResult:
    """Verdict of one stdin/stdout case run by a compiled binary."""
    error = next(
        (line[2:] for line in str(reply.get("res", "")).split("\n") if line.startswith("E ")),
        None,
    )
    if error is not None:
        return TestResult(index, Status.RUNTIME_ERROR, f"could not run the binary: {error}")
    sig = reply.get("signal")
    if not reply.get("killed") and sig == signal.SIGABRT:
        if "bad_alloc" in str(reply.get("stderr", ""))[-2000:]:
            return TestResult(index, Status.MEMORY, "std::bad_alloc")
    if reply.get("killed") or sig is not None or not records.ready:
        status, reason = death_status(reply)
        return TestResult(index, status, reason)
    if reply.get("exit") != 0:
        return TestResult(index, Status.RUNTIME_ERROR, f"exit code {reply.get('exit')}")
    stdout = str(reply.get("stdout", ""))
    if stdout_matches(stdout, expected, tol):
        return TestResult(index, Status.PASS)
    got, want = repr(stdout[:200]), repr(expected[:200])
    return TestResult(index, Status.FAIL, f"wrong output: got {got[:80]}, expected {want[:80]}")
