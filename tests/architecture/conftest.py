"""Tests of the package's shape: layers, package roots, module sizes."""
