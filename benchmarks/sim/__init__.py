"""Closed-loop site simulator: the real engine against reference policies.

``scenarios`` names the sites, ``runner`` runs one policy on one scenario step by step
(EVs, house, PV, meter), ``ours`` / ``evcc`` / ``immediate`` are the policies, ``oracle``
the perfect-foresight MILP, ``kpi`` the figures and ``plots`` the pictures. Only
``oracle`` needs scipy and only ``plots`` needs matplotlib.
"""
