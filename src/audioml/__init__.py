"""audioml: the helper package of the book *Machine Learning for Audio, from signals to WaveNet*.

The folders are the layers, from the bottom up; a module imports only from its own layer and
the layers below it (``tests/test_layers.py`` checks this):

- the core, here: :mod:`audioml.settings`, :mod:`audioml.errors`, :mod:`audioml.atomic`;
- :mod:`audioml.data`: registry, downloads, integrity, loaders and splits;
- :mod:`audioml.dsp`: audio files, features, activity, augmentation, denoising;
- :mod:`audioml.prep`: caches, tables, segments, patches, scenes, tf.data;
- :mod:`audioml.models`: training and one module per model family;
- :mod:`audioml.evaluation`: metrics, intervals and checks;
- :mod:`audioml.plotting`: figures and players;
- :mod:`audioml.book`: results, comparison, exercises, execution and grading.

Chapters import the modules they need (``from audioml.data import loaders``). Importing the
package has no side effects: it reads no environment variable and touches no file; the
settings are read when used.
"""

__version__ = "0.1.0"
