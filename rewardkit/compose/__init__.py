"""Composing rewards: combinators, the formula language, and the one combining rule.

* ``_compose``: :class:`Composite` nodes (weighted sums, clip, gate, route, when, ...);
* ``_combine``: :func:`weighted_total`, the only place weighted totals are *combined*;
* ``_formula``: :func:`parse_formula`, text such as ``0.7*a + 0.3*b`` to a composite.

Built on :mod:`rewardkit.contract`. Import from :mod:`rewardkit`, not from here.
"""
