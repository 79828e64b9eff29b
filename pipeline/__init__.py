"""Arabic→English translation and alignment pipeline for scraped news dumps.

Stages (one module each) talk through the typed records of
:mod:`pipeline.records` and the SQLite store of :mod:`pipeline.store`.
"""

__version__ = "0.1.0"
