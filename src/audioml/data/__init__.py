"""The data layer: the dataset registry, checked downloads and archives, integrity manifests,
loaders that return one table per dataset, and the splits that keep groups apart.

Imports only the core (:mod:`audioml.settings`, :mod:`audioml.errors`, :mod:`audioml.atomic`).
"""
