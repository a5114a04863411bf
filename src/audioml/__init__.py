"""audioml: the helper package of the book *Machine Learning for Audio, from signals to WaveNet*.

Chapters import what they need from the modules (``audioml.loaders``, ``audioml.features``,
``audioml.splits``, ...). Importing the package points librosa at the offline example
recordings when ``AUDIOML_DATA`` holds them.
"""
from audioml.loaders import use_offline_librosa_examples

__version__ = "0.1.0"

use_offline_librosa_examples()
