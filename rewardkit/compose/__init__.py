"""Composing rewards: combinators, the formula language, and the one combining rule.

* ``_compose``: the public constructors (``weighted``, ``gate``, ``clip``, ``route``, ...);
* ``_composite``: the :class:`Composite` node and :class:`WeightedSum` (``a + 2*b``);
* ``_transforms``: clip, scale, threshold, minimum/maximum;
* ``_branches``: gate, route, when (what a row needs depends on the row);
* ``_combine``: :func:`weighted_total`, the only place weighted totals are *combined*;
* ``_formula``: :func:`parse_formula`, text such as ``0.7*a + 0.3*b`` to a composite.

Built on :mod:`rewardkit.contract`. Import from :mod:`rewardkit`, not from here.
"""
