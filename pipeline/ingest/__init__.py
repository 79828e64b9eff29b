"""Ingest: files and folders of scraped news dumps → pieces in the store.

The stage has four small parts, each usable on its own:

* :mod:`~pipeline.ingest.readers` finds, checks and decodes input files
  (plain-text dumps, HTML pages, JSONL, any of them gzipped) into
  :class:`RawDocument` objects (:func:`read_source`);
* :mod:`~pipeline.ingest.chrome` knows page chrome ("Related News", share
  buttons, forum furniture, cookie banners, image file names);
* :mod:`~pipeline.ingest.segment` cuts a dump into one piece per article with
  a few explainable rules (:func:`segment_dump`), accounting for every line;
* :mod:`~pipeline.ingest.metadata` reads dates, bylines and outlets;

and :mod:`~pipeline.ingest.stage` writes the pieces to the store, one
transaction per file (:func:`ingest_paths`). Language detection is the next
stage's job: pieces leave here with status 'ingested' and no language.
"""

from pipeline.ingest.chrome import ChromeFilter
from pipeline.ingest.metadata import parse_date
from pipeline.ingest.readers import RawDocument, read_source
from pipeline.ingest.segment import (
    PieceUnit,
    RemovedLine,
    SegmentedPiece,
    SegmentOptions,
    SegmentResult,
    iter_segments,
    segment_dump,
    split_paragraphs,
    accounting_problems,
)
from pipeline.ingest.settings import IngestSettings
from pipeline.ingest.stage import IngestReport, IngestStage, ingest_paths

__all__ = [
    "ChromeFilter",
    "IngestReport",
    "IngestStage",
    "IngestSettings",
    "PieceUnit",
    "RawDocument",
    "RemovedLine",
    "SegmentOptions",
    "SegmentResult",
    "SegmentedPiece",
    "ingest_paths",
    "iter_segments",
    "parse_date",
    "read_source",
    "segment_dump",
    "split_paragraphs",
    "accounting_problems",
]
