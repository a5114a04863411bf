"""Plotting and listening: figures of signals, spectrograms, metrics, event rolls and
computation graphs, and audio players. Imports only the core.
"""
