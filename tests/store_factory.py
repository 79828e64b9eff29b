"""Build pipeline stores directly, as the stages would leave them, for tests.

Reusable by any stage's tests: it writes through the store's own methods
(sources and pieces as ingest writes them, languages and routes as detect
saves them, segments with titles at paragraph -1, translations with
diagnostics, matches with evidence and sentence pairs, alignments), so a
test can start from any point of the pipeline without running the stages
before it, and without any SQL outside the store.

The texts are taken from the seed dumps (an Al-Akhbar piece on the 2021
Baghdad summit and English coverage of it); the English translations are
written by hand as fixture data, they do not come from any model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.evaluate.similarity import match_similarity
from pipeline.records import (
    TITLE_PARAGRAPH,
    Alignment,
    Detection,
    Diagnosis,
    IngestedPiece,
    Match,
    Relation,
    RoutedParagraph,
    Segment,
    SegmentRef,
    SentencePair,
    SourceFile,
    Translation,
)
from pipeline.store import Store, now_iso, open_store

MODEL = "Helsinki-NLP/opus-mt-ar-en"
REVISION = "0123456789abcdef0123456789abcdef01234567"

# Payloads a hostile dump could carry; a safe report shows them as text.
SCRIPT_PAYLOAD = '<script>window.__pwned = "script"; document.title = "pwned";</script>'
IMG_PAYLOAD = "<img src=x onerror=\"window.__pwned = 'img'; document.title = 'pwned'\">"
LINK_PAYLOAD = "<a href=\"javascript:window.__pwned='link'\">click me</a>"
URL_TEXT = "https://evil.example/track?u=1&next=javascript:alert(1)"


@dataclass
class Para:
    """A paragraph: its sentences, language and route; `translations` per sentence (None = pending)."""

    sentences: list[str]
    lang: str = "ar"
    route: str = "translate"
    translations: list[str | None] | None = None
    diagnostics: list[dict[str, Any] | None] | None = None

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


@dataclass
class PieceData:
    id: str
    lang: str
    title: str | None
    paragraphs: list[Para]
    title_translation: str | None = None
    date: str | None = None
    outlet: str | None = None
    author: str | None = None
    status: str = "translated"
    reason: str | None = None
    source: str = "seeds/003_d3a64df3fb8f3d34.txt"

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.paragraphs)


@dataclass
class MatchData:
    source_id: str
    target_id: str
    score: float
    evidence: dict[str, Any] = field(default_factory=dict)
    pairs: list[tuple[int, int, float]] = field(default_factory=list)
    relation: Relation = "same_event"


def _key(text: str) -> str:
    return hashlib.sha256(f"{MODEL}@{REVISION}\x00{text}".encode()).hexdigest()[:32]


# -- writing through the store's methods ---------------------------------------------------


def source_file(path: str) -> SourceFile:
    """The sources record of a (pretend) input file at `path`."""
    return SourceFile(path=path, sha256=hashlib.sha256(path.encode()).hexdigest(), size=1, encoding="utf-8", kind="text")


def ingest_pieces(store: Store, source: str, pieces: Sequence[IngestedPiece]) -> None:
    """Pieces as ingest stores them from one input file: no language or route yet."""
    with store.writing_source(source_file(source), None) as writer:
        for piece in pieces:
            writer.add_piece(piece)
        writer.finish("ingested", None, len(pieces), 0)


def ingested(piece_id: str, paragraphs: list[str], title: str | None = None, position: int = 0, **fields: Any) -> IngestedPiece:
    return IngestedPiece(id=piece_id, position=position, paragraphs=paragraphs, title=title, **fields)


def add_pieces(store: Store, pieces: Sequence[PieceData], first_position: int = 0) -> None:
    """Insert pieces with their sources, languages and routes, segments, translations and diagnostics."""
    by_source: dict[str, list[IngestedPiece]] = {}
    for position, piece in enumerate(pieces, start=first_position):
        by_source.setdefault(piece.source, []).append(
            ingested(
                piece.id,
                [p.text for p in piece.paragraphs],
                piece.title,
                position,
                date=piece.date,
                author=piece.author,
                outlet=piece.outlet,
            )
        )
    for source, ingested_pieces in by_source.items():
        ingest_pieces(store, source, ingested_pieces)
    store.save_detections([_detection(piece) for piece in pieces])
    segments: list[Segment] = []
    translations: dict[str, Translation] = {}
    links: dict[str, list[SegmentRef]] = {}
    diagnoses: dict[str, Diagnosis] = {}
    created = now_iso()
    for piece in pieces:
        for idx, para in enumerate(piece.paragraphs):
            if para.route == "translate":
                _segments(
                    piece.id,
                    idx,
                    para.sentences,
                    para.translations,
                    para.diagnostics,
                    created,
                    segments,
                    translations,
                    links,
                    diagnoses,
                )
        if piece.title and piece.lang != "en" and piece.paragraphs and piece.paragraphs[0].route == "translate":
            _segments(
                piece.id,
                TITLE_PARAGRAPH,
                [piece.title],
                [piece.title_translation],
                None,
                created,
                segments,
                translations,
                links,
                diagnoses,
            )
    store.save_segments(segments)
    store.save_translations(list(translations.values()), links)
    store.save_diagnoses(list(diagnoses.values()))


def _detection(piece: PieceData) -> Detection:
    return Detection(
        piece_id=piece.id,
        lang=piece.lang,
        score=0.99,
        title_lang=None,
        status=piece.status,
        reason=piece.reason,
        paragraphs=[RoutedParagraph(index=i, lang=p.lang, score=0.99, route=p.route) for i, p in enumerate(piece.paragraphs)],
    )


def _segments(piece_id, para_idx, sentences, targets, diagnostics, created, segments, translations, links, diagnoses) -> None:
    for sent_idx, text in enumerate(sentences):
        segments.append(Segment(piece_id=piece_id, paragraph_index=para_idx, sentence_index=sent_idx, text=text))
        target = targets[sent_idx] if targets else None
        if target is None:
            continue
        key = _key(text)
        translations.setdefault(
            key,
            Translation(
                key=key,
                source_text=text,
                target_text=target,
                model=MODEL,
                revision=REVISION,
                backend="transformers",
                settings={"beams": 4},
                logprob=-0.4,
                created_at=created,
            ),
        )
        links.setdefault(key, []).append(SegmentRef(piece_id=piece_id, paragraph_index=para_idx, sentence_index=sent_idx))
        diag = diagnostics[sent_idx] if diagnostics else None
        if diag:
            diagnoses.setdefault(key, Diagnosis(key=key, diagnostics=diag, fingerprint=str(diag.get("thresholds", "test"))))


def _match(match: MatchData) -> Match:
    return Match(
        # the align stage records the threshold it matched against in every match's evidence; so do these
        source_id=match.source_id,
        target_id=match.target_id,
        score=match.score,
        evidence={"threshold": 0.5, **match.evidence},
        sentence_pairs=[SentencePair(source=s, target=t, score=sc) for s, t, sc in match.pairs],
        relation=match.relation,
    )


def set_alignments(
    store: Store, matches: Sequence[MatchData] = (), no_coverage: Mapping[str, str | Alignment] | None = None
) -> None:
    """The aligner's results: each matched piece's matches, and the pieces with no English coverage (why, or the record)."""
    alignments = {m.source_id: Alignment(piece_id=m.source_id, status="matched") for m in matches if m.relation == "same_event"}
    for piece_id, why in (no_coverage or {}).items():
        alignments[piece_id] = (
            why if isinstance(why, Alignment) else Alignment(piece_id=piece_id, status="no_coverage", reason=why)
        )
    records = [_match(m) for m in matches]
    pieces = {p.id: p for p in store.load_pieces({m.source_id for m in matches} | {m.target_id for m in matches})}
    for record in records:
        if record.source_id in pieces and record.target_id in pieces:
            record.similarity = match_similarity(pieces[record.source_id], pieces[record.target_id])
    store.replace_alignments(records, list(alignments.values()), None)


def build_store(
    path: str | Path,
    pieces: list[PieceData],
    matches: Sequence[MatchData] = (),
    no_coverage: Mapping[str, str | Alignment] | None = None,
) -> Store:
    store = open_store(path)
    add_pieces(store, pieces)
    if matches or no_coverage:
        set_alignments(store, matches, no_coverage)
    return store


# -- the seeds-like store -------------------------------------------------------

# translations.diagnostics as the evaluate stage writes it
OK = {"flags": [], "values": {"char_ratio": 1.08, "copy_similarity": 0.02, "max_repeats": 1}, "thresholds": "test"}
LONG = {
    "flags": ["length_ratio", "repetition"],
    "values": {"char_ratio": 2.4, "copy_similarity": 0.03, "max_repeats": 4},
    "thresholds": "test",
}

AR_SUMMIT = PieceData(
    id="a1b2c3d4e5f60718",
    lang="ar",
    title="سوريا لم تنتظر دعوتها: أيّ جوار من دوننا؟",
    title_translation="Syria did not wait for its invitation: what neighbourhood without us?",
    date="2021-08-18",
    outlet="Al-Akhbar",
    author="محمود عبد اللطيف",
    paragraphs=[
        Para(
            [
                "لم يقتصر نفي توجيه دعوة عراقية إلى سوريا لحضور قمّة بغداد على الجانب العراقي.",
                "بل إن نفياً مبطناً جاء من الرئاسة السورية نفسها.",
            ],
            translations=[
                "The denial that an Iraqi invitation was sent to Syria to attend the Baghdad summit was not limited to the Iraqi side.",
                "An implicit denial came from the Syrian presidency itself.",
            ],
            diagnostics=[OK, OK],
        ),
        Para(
            [
                "لم تكن هناك توقّعات في الأوساط السياسية السورية بأن تُدعى دمشق إلى مثل هذا المؤتمر.",
                "يبلغ طول الشريط الحدودي السوري مع العراق نحو 599 كم.",
            ],
            translations=[
                "There were no expectations in Syrian political circles that Damascus would be invited to such a conference.",
                "The Syrian border strip with Iraq is about 599 km long.",
            ],
            diagnostics=[OK, LONG],
        ),
        Para(["Photo: SANA."], lang="en", route="english"),
    ],
)

EN_SUMMIT = PieceData(
    id="0f1e2d3c4b5a6978",
    lang="en",
    title="Baghdad summit",
    date="2021-08-28",
    outlet="Mideastream",
    status="english",
    paragraphs=[
        Para(
            [
                "Iraq hosted a regional summit on Saturday aimed at easing tensions in the Middle East.",
                "Syria was not invited to the meeting in Baghdad.",
            ],
            lang="en",
            route="english",
        ),
        Para(
            [
                "Officials in Damascus said they had expected no invitation.",
                "Heads of state attending included Egyptian President Abdel Fattah al-Sisi and French President Emmanuel Macron.",
            ],
            lang="en",
            route="english",
        ),
    ],
)

AR_NO_COVERAGE = PieceData(
    id="1111222233334444",
    lang="ar",
    title="من الخارج إلى الداخل وبالعكس: آل سلمان و«قدر» طهران ودمشق",
    title_translation="From outside to inside and back: the Al Salman and the 'fate' of Tehran and Damascus",
    date="2021-05-10",
    outlet="Al-Akhbar",
    author="ابراهيم الأمين",
    paragraphs=[
        Para(
            ["يأتي وزير خارجية فرنسا إلى بيروت، ونشهد استنفاراً سياسياً وإعلامياً.", "لا داعي لإهمال العناصر الداخلية للأزمة."],
            translations=[
                "The French foreign minister comes to Beirut, and we witness a political and media mobilisation.",
                "There is no need to neglect the internal elements of the crisis.",
            ],
            diagnostics=[OK, OK],
        ),
    ],
)

AR_PENDING = PieceData(
    id="5555666677778888",
    lang="ar",
    title="الحكومة أمام امتحان الكهرباء",
    date="2021-09-02",
    outlet="Al-Binaa",
    status="pending",
    reason="model unavailable: Helsinki-NLP/opus-mt-ar-en could not be loaded",
    source="seeds/004_c6526bbb5c2cd36d.txt",
    paragraphs=[Para(["تواجه الحكومة امتحان الكهرباء في الأسابيع المقبلة.", "وتبحث الوزارة عن حلول سريعة."])],
)

EN_OTHER = PieceData(
    id="9999aaaabbbbcccc",
    lang="en",
    title="Shiite authority and America: behind the scenes of a rare meeting",
    date="2020-10-22T18:09:00",
    outlet="Shafaq News",
    status="english",
    source="seeds/001_3e07fa813a2fbce9.txt",
    paragraphs=[
        Para(
            [
                "The British website revealed an order given by the Supreme Leader last week.",
                "The factions were told to stop their attacks.",
            ],
            lang="en",
            route="english",
        )
    ],
)

SUMMIT_MATCH = MatchData(
    source_id=AR_SUMMIT.id,
    target_id=EN_SUMMIT.id,
    score=0.74,
    evidence={"shared_entities": ["Baghdad", "Syria", "Damascus"], "date_gap_days": 10, "lexical": 0.41},
    pairs=[(0, 1, 0.81), (2, 2, 0.66)],
)


def hostile_pieces() -> tuple[PieceData, PieceData, MatchData]:
    """An Arabic piece and its English 'coverage' whose every text field carries markup payloads."""
    ar = PieceData(
        id="deadbeefdeadbeef",
        lang="ar",
        title=f"عنوان {SCRIPT_PAYLOAD}",
        title_translation=f"Title {SCRIPT_PAYLOAD}",
        date="2021-08-20",
        outlet='Evil"><script>window.__pwned="outlet"</script>',
        author=IMG_PAYLOAD,
        source=URL_TEXT,
        paragraphs=[
            Para(
                [f"هذا نص {IMG_PAYLOAD}.", f"رابط {LINK_PAYLOAD}."],
                translations=[f"This text {IMG_PAYLOAD}.", f"A link {LINK_PAYLOAD} {URL_TEXT}."],
                diagnostics=[{"flags": [SCRIPT_PAYLOAD], "values": {SCRIPT_PAYLOAD: 1.5}}, OK],
            ),
        ],
    )
    en = PieceData(
        id="feedfacefeedface",
        lang="en",
        title=f"Coverage {LINK_PAYLOAD}",
        date="2021-08-21",
        outlet="Mideastream",
        status="english",
        source=URL_TEXT,
        paragraphs=[Para([f"Coverage sentence one {SCRIPT_PAYLOAD}.", f"Visit {URL_TEXT} now."], lang="en", route="english")],
    )
    match = MatchData(ar.id, en.id, 0.55, {"note": SCRIPT_PAYLOAD, "url": URL_TEXT}, [(0, 0, 0.5), (1, 1, 0.4)])
    return ar, en, match


def seeds_like_store(path: str | Path, *, matches: bool = True, diagnostics: bool = True, hostile: bool = False) -> Store:
    """A store after a run over seeds-like dumps: matched, uncovered, pending and English pieces."""
    pieces = [AR_SUMMIT, EN_SUMMIT, AR_NO_COVERAGE, AR_PENDING, EN_OTHER]
    found = [SUMMIT_MATCH] if matches else []
    if hostile:
        ar, en, match = hostile_pieces()
        pieces += [ar, en]
        found = [*found, match] if matches else found
    if not diagnostics:
        pieces = [_without_diagnostics(p) for p in pieces]
    no_coverage = {AR_NO_COVERAGE.id: "no English piece within 14 days shares its named entities"} if matches else None
    return build_store(path, pieces, found, no_coverage)


def _without_diagnostics(piece: PieceData) -> PieceData:
    paragraphs = [Para(p.sentences, p.lang, p.route, p.translations, None) for p in piece.paragraphs]
    return PieceData(**{**piece.__dict__, "paragraphs": paragraphs})
