"""Tests of pmo_nb.risks: the register simulation, PERT, the risk-adjusted view."""
