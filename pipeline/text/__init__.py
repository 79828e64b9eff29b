"""Text helpers every stage shares, each written once: scripts, normalisation, sentences, dates.

A leaf package: it imports nothing else from the pipeline, so any stage may
use it without creating an import circle.
"""
