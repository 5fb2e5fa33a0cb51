"""Maintenance scripts of the repository (not part of the installed package).

A package so that the tests can import their helpers as ``scripts.demo_model``.
"""
