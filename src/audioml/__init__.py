"""audioml: the helper package of the book *Machine Learning for Audio, from signals to WaveNet*.

Chapters import what they need from the modules (``audioml.loaders``, ``audioml.features``,
``audioml.splits``, ...). Importing the package has no side effects: it reads no environment
variable and touches no file; the settings (:mod:`audioml.settings`) are read when used.
"""

__version__ = "0.1.0"
