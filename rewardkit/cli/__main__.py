"""``python -m rewardkit.cli`` (same as the ``rewardkit`` console script)."""

from __future__ import annotations

from . import main

if __name__ == "__main__":
    main()
