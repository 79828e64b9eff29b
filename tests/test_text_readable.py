"""Real MT output made readable (pipeline/text/readable.py), on the seven systems' FLORES dev outputs."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from pipeline.text.readable import is_moses_tokenised, readable

FLORES = Path(__file__).resolve().parents[2] / "shared" / "data" / "flores-dev"
SYSTEMS = ("opusmt", "argos", "google", "nllb", "microsoft", "bergamot-base", "bergamot-base-memory")
ENTITY = re.compile(r"&(?:[A-Za-z]+|#\d+|#x[0-9A-Fa-f]+);")
# what Moses escaping leaves when only the entities are decoded: a quote or apostrophe standing alone
SPACED_MARK = re.compile(r"(?:^|\s)['\"](?:\s|$)")


def lines(system: str) -> list[str]:
    return (FLORES / f"flores-dev.{system}.en").read_text(encoding="utf-8").splitlines()


def test_opus_mt_lines_with_moses_escapes_become_plain_english():
    raw = lines("opusmt")
    escaped = [line for line in raw if re.search(r"&(?:apos|quot|amp);", line)]
    assert len(raw) == 997 and len(escaped) == 24  # the count
    assert all(is_moses_tokenised(line) for line in escaped)
    for line in escaped:
        text = readable(line)
        assert not ENTITY.search(text), text
        assert not SPACED_MARK.search(text), text  # "Alonso ' s" would be entities decoded, spacing left
    fixed = {readable(line) for line in escaped}
    assert any("behind Alonso's safe car" in t for t in fixed)
    assert any("the coup d'état of one of the fire cars" in t for t in fixed)
    assert any("sentences of more than 10 years' imprisonment" in t for t in fixed)  # a plural possessive stays


def test_argos_quotes_are_paired_and_punctuation_reattached():
    escaped = [line for line in lines("argos") if "&" in line]
    assert len(escaped) == 36
    texts = [readable(line) for line in escaped]
    assert not any(ENTITY.search(t) or SPACED_MARK.search(t) for t in texts)
    assert 'was the "Stable Land Law", stressing the importance of the Supreme Court\'s consistency.' in " ".join(texts)
    assert any(t.endswith('was described as "beneficial".') for t in texts)


def test_html_references_are_only_decoded_where_nothing_was_tokenised():
    """Google's output is HTML-escaped, not Moses-tokenised: decoding the references is all it needs."""
    escaped = [line for line in lines("google") if "&" in line]
    assert len(escaped) == 162
    assert not any(is_moses_tokenised(line) for line in escaped)
    for line in escaped:
        assert readable(line) == html.unescape(line)
    assert "Nadal's record of confrontations with the Canadian is 7-2." in {readable(line) for line in escaped}


@pytest.mark.parametrize("system", SYSTEMS)
def test_clean_output_never_moves_and_readable_is_stable(system):
    for line in lines(system):
        text = readable(line)
        if "&" not in line:
            assert text == line
        assert readable(text) == text  # a readable text is read the same again


def test_only_complete_references_are_decoded_and_line_breaks_are_kept():
    assert readable("AT&T and R&D, Barnes&notice") == "AT&T and R&D, Barnes&notice"  # html.unescape alone: "¬ice"
    assert readable("x &amp;lt; y") == "x &lt; y"  # one decoding, not two
    assert readable("one &quot; a &quot; .\n\nMinister&#39;s") == 'one "a".\n\nMinister\'s'
