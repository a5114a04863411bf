"""Signal processing on arrays: audio files in and out, the features (one log-mel), the book's
one definition of an active frame, augmentation and denoising.

Imports only the core.
"""
