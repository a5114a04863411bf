"""Evaluation: classification metrics and intervals, detection metrics and their reference
implementations, signal and perceptual metrics, and gradient checks. Imports only the core.
"""
