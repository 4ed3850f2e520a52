"""Package discovery that pyproject.toml alone cannot express.

The recipes live at the repository's top level (``recipes/``) so users find
them, and ship inside the wheel as ``rewardkit.recipes`` so ``rewardkit recipe``
finds them after ``pip install``.
"""

import os

from setuptools import find_packages, setup

core = find_packages(include=["rewardkit", "rewardkit.*"])
recipes = []
if os.path.isfile(os.path.join("recipes", "__init__.py")):
    recipes = ["rewardkit.recipes"] + [
        "rewardkit.recipes." + p for p in find_packages(where="recipes")
    ]

setup(
    # rewardkit_axolotl: two-part reward paths that Axolotl 0.8 can import (see the module)
    py_modules=["rewardkit_axolotl"],
    packages=core + recipes,
    package_dir={"rewardkit.recipes": "recipes"} if recipes else {},
    package_data={
        "rewardkit": ["py.typed", "data/*"],
        "rewardkit.recipes": ["**/*.yaml", "**/*.yml", "**/*.txt", "**/*.sh", "**/*.json", "**/*.md", "**/*.jsonl"],
    },
)
