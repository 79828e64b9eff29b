"""load_pieces assembles translations from cached sentence translations."""

from __future__ import annotations

from store_factory import ingest_pieces, ingested

from pipeline.records import Detection, RoutedParagraph, Segment, SegmentRef, Translation
from pipeline.store import Store, open_store


def _translation(key: str, text: str, target: str) -> Translation:
    return Translation(
        key=key, source_text=text, target_text=target, model="m", revision="r", backend="transformers", settings={}
    )


def _seed(store: Store) -> None:
    ingest_pieces(store, "d.txt", [ingested("ar1", ["جملة أولى. جملة ثانية.", "فقرة"], title="عنوان")])
    store.save_detections(
        [
            Detection(
                piece_id="ar1",
                lang="ar",
                score=1.0,
                title_lang="ar",
                status="translated",
                reason=None,
                paragraphs=[RoutedParagraph(index=i, lang="ar", score=1.0, route="translate") for i in (0, 1)],
            )
        ]
    )
    rows = [(-1, 0, "عنوان", "k0"), (0, 0, "جملة أولى.", "k1"), (0, 1, "جملة ثانية.", "k2"), (1, 0, "فقرة", None)]
    store.save_segments([Segment(piece_id="ar1", paragraph_index=p, sentence_index=s, text=text) for p, s, text, _ in rows])
    store.save_translations(
        [_translation(key, text, f"EN({text})") for _, _, text, key in rows if key],
        {key: [SegmentRef(piece_id="ar1", paragraph_index=p, sentence_index=s)] for p, s, _, key in rows if key},
    )


def test_partial_translation_is_not_presented_as_a_whole(tmp_path):
    with open_store(tmp_path / "s.sqlite") as store:
        _seed(store)
        piece = store.load_pieces()[0]
        assert piece.title_translation == "EN(عنوان)"
        assert piece.paragraphs[0].translation == "EN(جملة أولى.) EN(جملة ثانية.)"
        assert piece.paragraphs[1].translation is None  # its sentence is still pending
        assert piece.translation is None
        assert store.counts().segments_pending == 1


def test_complete_translation_joins_paragraphs_and_names_the_model(tmp_path):
    with open_store(tmp_path / "s.sqlite") as store:
        _seed(store)
        store.save_translations(
            [_translation("k3", "فقرة", "paragraph")], {"k3": [SegmentRef(piece_id="ar1", paragraph_index=1, sentence_index=0)]}
        )
        piece = store.load_pieces()[0]
        assert piece.translation == "EN(جملة أولى.) EN(جملة ثانية.)\n\nparagraph"
        assert piece.model == "m@r"
        assert [s.translation for s in store.segments(["ar1"], with_titles=False)["ar1"]] == [
            "EN(جملة أولى.)",
            "EN(جملة ثانية.)",
            "paragraph",
        ]
        assert piece.source == "d.txt"
