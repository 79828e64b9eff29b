"""load_pieces assembles translations from cached sentence translations."""

from __future__ import annotations

from pipeline.store import Store, now_iso


def _seed(store: Store) -> None:
    with store.transaction() as tx:
        tx.execute("INSERT INTO sources(id, path, sha256, size, status, ingested_at) VALUES (1, 'd.txt', 'x', 1, 'ok', ?)", (now_iso(),))
        tx.execute("INSERT INTO pieces(id, title, lang, text, status, created_at) VALUES ('ar1', 'عنوان', 'ar', 'جملة أولى. جملة ثانية.\n\nفقرة', 'translated', ?)", (now_iso(),))
        tx.execute("INSERT INTO piece_sources VALUES ('ar1', 1, 0)")
        tx.executemany("INSERT INTO paragraphs(piece_id, idx, text, lang, route) VALUES ('ar1', ?, ?, 'ar', 'translate')", [(0, "جملة أولى. جملة ثانية."), (1, "فقرة")])
        rows = [(-1, 0, "عنوان", "k0"), (0, 0, "جملة أولى.", "k1"), (0, 1, "جملة ثانية.", "k2"), (1, 0, "فقرة", None)]
        for para, sent, text, key in rows:
            if key:
                tx.execute(
                    "INSERT INTO translations(key, model, revision, backend, settings, source_text, target_text, created_at) "
                    "VALUES (?, 'm', 'r', 'transformers', '{}', ?, ?, ?)",
                    (key, text, f"EN({text})", now_iso()),
                )
            tx.execute("INSERT INTO segments VALUES ('ar1', ?, ?, ?, ?, NULL)", (para, sent, text, key))


def test_partial_translation_is_not_presented_as_a_whole(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        _seed(store)
        piece = store.load_pieces()[0]
        assert piece.title_translation == "EN(عنوان)"
        assert piece.paragraphs[0].translation == "EN(جملة أولى.) EN(جملة ثانية.)"
        assert piece.paragraphs[1].translation is None  # its sentence is still pending
        assert piece.translation is None
        assert store.counts()["segments_pending"] == 1


def test_complete_translation_joins_paragraphs_and_names_the_model(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        _seed(store)
        with store.transaction() as tx:
            tx.execute(
                "INSERT INTO translations(key, model, revision, backend, settings, source_text, target_text, created_at) "
                "VALUES ('k3', 'm', 'r', 'transformers', '{}', 'فقرة', 'paragraph', ?)",
                (now_iso(),),
            )
            tx.execute("UPDATE segments SET translation_key='k3' WHERE paragraph_idx=1")
        piece = store.load_pieces()[0]
        assert piece.translation == "EN(جملة أولى.) EN(جملة ثانية.)\n\nparagraph"
        assert piece.model == "m@r"
        assert [s.translation for s in store.load_segments("ar1")] == ["EN(جملة أولى.)", "EN(جملة ثانية.)", "paragraph"]
        assert piece.source == "d.txt"
