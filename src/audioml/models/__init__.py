"""Models: training helpers, then one module per family (CNN, RNN, WaveNet, autoencoder, VAE,
pretrained YAMNet and MobileNetV2, sound event detection). Imports data, dsp and prep, never
evaluation, plotting or the book's machinery.
"""
