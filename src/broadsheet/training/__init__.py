"""Reproducible training of Broadsheet's small models (``broadsheet train ...``).

Training needs scikit-learn (the ``train`` extra); using the trained models needs only NumPy.
"""
