"""Tests of pmo_nb.plans: the working-day calendar, the critical path, schedule risk."""
