"""Preparation: feature caches keyed by content, tables of clip statistics, segments, log-mel
patches, synthetic scenes and tf.data pipelines, built from the data and dsp layers.
"""
