"""Reports from two realistic stores, for the report's tests.

* :func:`seeds_report`: `pipeline run seeds/` with the tiny test model (a real
  run: ingest, detect, translate, diagnose, align, export), as a user runs it;
* :func:`flores_report`: FLORES dev as news pieces. The Arabic pieces carry
  two published MT systems' outputs as their external translations (opus-mt,
  the current one, then NLLB) and the English references are English pieces,
  written through the store's own
  methods as ingest and detect would leave them (translations kept in the
  pieces' external-translation fields, not run through the translate
  stage); then the real align stage and a store-mode `pipeline evaluate`
  (references imported for the Arabic pieces) run through the ledger, so
  the runs table holds an evaluation, and export writes the report.

FLORES text is read from ../shared, never copied into the repository.
"""

from __future__ import annotations

from pathlib import Path

from store_factory import ingest_pieces

from pipeline.cli import build_config
from pipeline.config import Config
from pipeline.ledger import execute, run_pipeline
from pipeline.records import Detection, ExternalTranslation, IngestedPiece, RoutedParagraph
from pipeline.stages import stages
from pipeline.store import open_store

REPO = Path(__file__).resolve().parents[1]
FLORES = REPO.parent / "shared" / "data" / "flores-dev"
DOCS = 24  # pseudo-documents of 5 FLORES lines
SYSTEM = "opusmt"  # the published output used as the external translation (the pieces' current one)
SECOND = "nllb"  # a second system's published output, kept beside it
OUTLETS = ("Outlet North", "Outlet South", "Outlet East")


def seeds_report(tmp: Path, model: Path) -> Path:
    """The output folder of a seeds run with the tiny model (transformers backend, as the golden run)."""
    config = build_config(
        None,
        None,
        db=str(tmp / "seeds.sqlite"),
        out=tmp / "seeds-out",
        model=str(model),
        extra={"translate.backend": "transformers"},
    )
    result = run_pipeline([REPO / "seeds"], config)
    assert result.exit_code == 0, result.messages
    return tmp / "seeds-out"


def _lines(name: str) -> list[str]:
    return (FLORES / f"flores-dev.{name}").read_text(encoding="utf-8").splitlines()


def flores_config(tmp: Path) -> Config:
    return build_config(None, None, db=str(tmp / "flores.sqlite"), out=tmp / "flores-out", extra={"evaluate.paired_bs_n": 200})


def flores_report(tmp: Path) -> Path:
    """The output folder of an export of the FLORES store (see the module docstring)."""
    ar, mt, en, second = _lines("ar"), _lines(f"{SYSTEM}.en"), _lines("en"), _lines(f"{SECOND}.en")
    pieces, detections, references, seconds = [], [], {}, []
    for d in range(DOCS):
        span = slice(5 * d, 5 * d + 5)
        date = f"2024-03-{1 + d % 20:02d}"
        outlet = OUTLETS[d % len(OUTLETS)]
        ar_id, en_id = f"flores-ar-{d:03d}", f"flores-en-{d:03d}"
        pieces.append(
            IngestedPiece(
                id=ar_id,
                position=2 * d,
                paragraphs=ar[span],
                date=date,
                outlet=outlet,
                external=ExternalTranslation(system=f"{SYSTEM}-published", unit="paragraph", parts=mt[span], raw_parts=mt[span]),
            )
        )
        seconds.append(
            IngestedPiece(
                id=ar_id,
                position=d,
                paragraphs=ar[span],
                external=ExternalTranslation(
                    system=f"{SECOND}-published", unit="paragraph", parts=second[span], raw_parts=second[span]
                ),
            )
        )
        detections.append(_detection(ar_id, "ar", 5, "translated"))
        references[ar_id] = en[span]
        if d % 3:  # a third of the documents have no English coverage
            pieces.append(IngestedPiece(id=en_id, position=2 * d + 1, paragraphs=en[span], date=date, outlet="Wire"))
            detections.append(_detection(en_id, "en", 5, "english"))
    config = flores_config(tmp)
    with open_store(config.store.path) as store:
        ingest_pieces(store, "flores/flores-dev.jsonl", pieces)
        ingest_pieces(store, f"flores/flores-dev.{SECOND}.jsonl", seconds)
        store.save_detections(detections)
        store.replace_references(references)
    for name in ("diagnose", "align", "evaluate"):
        result = execute(stages(name), config, command=name)
        assert result.exit_code == 0, result.messages
    execute(stages("export"), config, command="export", create_store=False)
    return tmp / "flores-out"


def _detection(piece_id: str, lang: str, paragraphs: int, status: str) -> Detection:
    route = "english" if lang == "en" else "translate"
    return Detection(
        piece_id=piece_id,
        lang=lang,
        score=0.99,
        title_lang=None,
        status=status,
        reason=None,
        paragraphs=[RoutedParagraph(index=i, lang=lang, score=0.99, route=route) for i in range(paragraphs)],
    )
