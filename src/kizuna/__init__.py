"""Kizuna: an offline workbench for whole-of-alliance peacebuilding in fragile states."""

__version__ = "0.1.0"
