"""Ingest: files and folders of scraped news dumps → pieces in the store.

The stage has small parts, each usable on its own:

* :mod:`~pipeline.ingest.readers` finds, checks and decodes input files
  (plain-text dumps, HTML pages, JSONL, any of them gzipped) into
  :class:`RawDocument` objects (:func:`read_source`);
* :mod:`~pipeline.ingest.html` keeps an HTML page's structure: one piece per
  article container, metadata from the markup first;
* :mod:`~pipeline.ingest.cutter` cuts a text dump into pieces
  (:func:`cut_dump`; what a piece is: :mod:`~pipeline.ingest.pieces`),
  accounting for every line, with
  :mod:`~pipeline.ingest.lines` (what a line looks like),
  :mod:`~pipeline.ingest.features` (the named features of a line in its dump),
  :mod:`~pipeline.ingest.labeller` (the trained line labeller, a CRF shipped
  in ``model/``), :mod:`~pipeline.ingest.segmenter` (labels → pieces) and
  :mod:`~pipeline.ingest.metadata` (title, date, author, outlet, each with
  its evidence); :mod:`~pipeline.ingest.training` trains the labeller from
  the labelled dumps of ``tests/data/segmenter/``;
* :mod:`~pipeline.ingest.chrome` knows page chrome, and
  :mod:`~pipeline.ingest.gazetteer` loads the rules data (outlets,
  columnists, datelines, chrome, line words) from ``data/*.yaml``;

and :mod:`~pipeline.ingest.stage` writes the pieces to the store, one
transaction per file (:func:`ingest_paths`). Language detection is the next
stage's job: pieces leave here with status 'ingested' and no language.
"""

from pipeline.ingest.chrome import ChromeFilter
from pipeline.ingest.cutter import (
    accounting_problems,
    cut_dump,
    iter_pieces,
    split_paragraphs,
)
from pipeline.ingest.gazetteer import Gazetteer, load_gazetteer
from pipeline.ingest.pieces import (
    CutOptions,
    CutPiece,
    CutResult,
    PieceUnit,
    RemovedLine,
)
from pipeline.ingest.readers import RawDocument, read_source
from pipeline.ingest.settings import IngestSettings
from pipeline.ingest.stage import IngestReport, IngestStage, ingest_paths
from pipeline.text.dates import parse_date

__all__ = [
    "ChromeFilter",
    "CutOptions",
    "CutPiece",
    "CutResult",
    "Gazetteer",
    "IngestReport",
    "IngestSettings",
    "IngestStage",
    "PieceUnit",
    "RawDocument",
    "RemovedLine",
    "accounting_problems",
    "cut_dump",
    "ingest_paths",
    "iter_pieces",
    "load_gazetteer",
    "parse_date",
    "read_source",
    "split_paragraphs",
]
