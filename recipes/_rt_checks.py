"""Requirements and hardware checks before a run starts.

Part of the recipes runtime (see ``_runtime.py``): importable as
``rewardkit.recipes._rt_checks`` and, in an exported recipe folder, as a sibling module.
"""

from __future__ import annotations

import importlib
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

if __package__:
    from ._rt_config import RecipeSpec
else:  # an exported recipe folder: the runtime modules are top-level siblings
    from _rt_config import RecipeSpec


def _requirement_parser() -> Any:
    for mod in ("packaging.requirements", "pip._vendor.packaging.requirements"):
        try:
            return importlib.import_module(mod).Requirement
        except ImportError:
            continue
    return None


def check_requirements(spec: RecipeSpec, cfg: Mapping[str, Any]) -> list[str]:
    """Problems with the installed packages, for the recipe's ``check`` list and its launcher.

    ``check`` holds compatibility *ranges* (what the code works with); the
    requirements file pins the tested stack. Only a missing package or one
    outside its range blocks a run: a user on a newer patch release should not
    be forced to reinstall.
    """
    from importlib import metadata

    wanted = list(spec.data.get("check") or [])
    launcher = spec.launchers.get(str(cfg.get("launcher", "")), {})
    wanted += list(launcher.get("requires") or [])
    wanted += list(cfg.get("extra_requires") or [])
    req_cls = _requirement_parser()
    problems: list[str] = []
    for text in wanted:
        if req_cls is not None:
            req = req_cls(text)
            name, spec_set = req.name, req.specifier
            if req.marker is not None and not req.marker.evaluate():
                continue
        else:  # pragma: no cover - packaging is vendored by pip everywhere
            name, spec_set = text.split(";")[0].strip().split("=")[0].strip("<>!~ "), None
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            problems.append(f"{name} is not installed (needs {text})")
            continue
        if spec_set is not None and not spec_set.contains(version, prereleases=True):
            problems.append(f"{name} {version} is installed; the recipe needs {text}")
    return problems


def install_command(spec: RecipeSpec) -> str:
    """The exact command that installs the recipe's pinned stack into this interpreter."""
    return f"{shlex.quote(sys.executable)} -m pip install -r {shlex.quote(str(spec.requirements_file))}"


def gpu_inventory() -> list[float]:
    """Memory (GiB) of each visible NVIDIA GPU, via ``nvidia-smi`` (no torch import needed)."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return []
    try:
        out = subprocess.run(
            [exe, "--query-gpu=memory.total", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    sizes = [float(line) / 1024 for line in out.split() if line.strip().replace(".", "").isdigit()]
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None and visible.strip() != "":
        ids = [int(v) for v in visible.split(",") if v.strip().isdigit()]
        sizes = [sizes[i] for i in ids if i < len(sizes)]
    return sizes


def check_hardware(spec: RecipeSpec, cfg: Mapping[str, Any]) -> list[str]:
    """Problems with the visible GPUs for this config (none when ``device: cpu``)."""
    if str(cfg.get("device", "cuda")) == "cpu":
        return []
    hw = {**spec.hardware, **dict(cfg.get("hardware") or {})}
    need_gpus = int(cfg.get("num_gpus") or hw.get("gpus", 1) or 0)
    need_mem = float(hw.get("gpu_memory_gb", 0) or 0)
    gpus = gpu_inventory()
    problems: list[str] = []
    if need_gpus and len(gpus) < need_gpus:
        problems.append(
            f"needs {need_gpus} NVIDIA GPU(s), found {len(gpus)}"
            + (f" ({hw['notes']})" if hw.get("notes") else "")
        )
    small = [
        f"GPU {i}: {g:.0f} GiB" for i, g in enumerate(gpus[: need_gpus or None]) if g < need_mem
    ]
    if need_mem and small:
        problems.append(f"needs {need_mem:g} GiB per GPU; " + ", ".join(small))
    return problems
