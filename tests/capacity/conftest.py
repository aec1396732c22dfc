"""Tests of pmo_nb.capacity: demand against capacity, leveling, dependencies."""
