"""References: how any face names a reward, and how rewards travel to other processes.

* ``_resolve``: :func:`rewardkit.resolve`, the one *resolver* (name, ``name(opt=v)``,
  ``pkg.mod:fn``, ``path.py:fn``, formula, ``NAME=W``, callable) and its errors;
* ``_refs``: the reference syntax (``parse_reference``, loading ``.py`` files) and
  pickling rewards *by reference* for worker processes.

Above the registry and the composers. Import from :mod:`rewardkit`, not from here.
"""
