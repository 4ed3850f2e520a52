"""The registry: reward names to rewards, from built-ins, entry points and user marks.

* ``_registry``: the pluggy-backed :class:`Registry` behind :func:`rewardkit.get`,
  :func:`rewardkit.register` and :func:`rewardkit.available`.

The hook specification third-party plugins implement stays at its public path,
:mod:`rewardkit.hookspecs`. Import from :mod:`rewardkit`, not from here.
"""
