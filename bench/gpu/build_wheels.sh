#!/usr/bin/env bash
# Build, on this CPU machine (which reaches PyPI), every wheel the offline GPU machine needs for
# bench/gpu/recipes_seeds.sh, into .whl/ (git-ignored; carry it with carry=[".whl"]):
#   .whl/base  TRL 1.16 stack, .whl/uns  Unsloth stack (slimmed to fit the 64 MiB carry limit),
#   .whl/rk    rewardkit's own dependencies the GPU image lacks (Python 3.12 wheels).
# rewardkit itself travels as source in the working tree (PYTHONPATH=$PWD there).
# Run from the repository root: bash bench/gpu/build_wheels.sh
set -euo pipefail
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
bash ../shared/tools/gpu-wheels/fetch_wheels.sh
PL="--platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64"
mkdir -p .whl/rk
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  $PL -d .whl/rk RestrictedPython orjson cloudpickle
du -sh .whl/*
