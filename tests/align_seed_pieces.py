"""Pieces cut from the seed dumps for the aligner's tests (no model involved).

Spans are located by their opening and closing lines, so the tests do not
depend on line numbers. The Al-Binaa IMF piece is Arabic in the seed; its
English here is a hand translation written for this fixture (a human
translation, not the output of any system), because the aligner works on
English text.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.records import Piece

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def _seed(prefix: str) -> str:
    return next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


def span(text: str, start: str, end: str | None) -> str:
    """From the line starting with `start` up to (not including) the line starting with `end`."""
    lines = text.splitlines()
    i = next(k for k, line in enumerate(lines) if line.strip().startswith(start))
    j = next((k for k, line in enumerate(lines[i + 1 :], i + 1) if end and line.strip().startswith(end)), len(lines))
    return "\n".join(lines[i:j]).strip()


def khamenei_translated() -> Piece:
    """Seed 001: Shafaq News, machine-translated English (treated as the translation)."""
    body = span(_seed("001"), "Shafaq News / The British", "Leave a Reply")
    return Piece(
        id="shafaq-mt",
        source="seeds/001",
        lang="ar",
        date="2020-10-22",
        text=body,
        translation=body,
        title_translation="Shiite authority and America .. behind the scenes of a rare meeting with Khamenei, leaders of Iraqi factions",
    )


def khamenei_english() -> Piece:
    """Seed 004: the English original of the same Shafaq News report."""
    body = _seed("004").replace("date 2020-10-22", "").strip()
    return Piece(id="shafaq-en", source="seeds/004", lang="en", date="2020-10-22", text=body)


def biden_presstv() -> Piece:
    """Seed 003: the Press TV-style report of the July 2021 Biden–Kadhimi agreement (as the translated side)."""
    body = span(
        _seed("003"), "US President Joe Biden and Iraqi Prime Minister Mustafa al-Kadhimi on Monday sealed", "Related Articles"
    )
    return Piece(id="biden-presstv", source="seeds/003", lang="ar", date="2021-07-27", text=body, translation=body)


def biden_mayadeen() -> Piece:
    """Seed 003: Al Mayadeen, 'White House: Biden, Al-Kadhimi Agree on Continued Security Partnership'."""
    body = span(
        _seed("003"), "US President Joe Biden and Iraqi Prime Minister Mustafa Al-Kadhimi affirmed", "Al-Kadhimi: Iraq Doesn"
    )
    return Piece(
        id="biden-mayadeen",
        source="seeds/003",
        lang="en",
        date="2021-07-27",
        text=body,
        title="White House: Biden, Al-Kadhimi Agree on Continued Security Partnership",
    )


def nujaba_english() -> Piece:
    """Seed 003: the Nujaba reaction to the same agreement (also coverage of it)."""
    body = span(_seed("003"), "Iraq’s al-Nujaba resistance movement has called", "“Kata’ib Sayyid Al-Shuhada”: US May Back")
    return Piece(
        id="nujaba-en",
        source="seeds/003",
        lang="en",
        date="2021-07-27",
        text=body,
        title="Nujaba: Entire US Military, Including “Criminal” Air Force, Must Leave Iraq",
    )


def magnier_english() -> Piece:
    """Seed 003: Elijah Magnier on Kazemi's visit to Trump (Iraq, US forces; a different event)."""
    body = span(_seed("003"), "Iraqi Prime Minister Mustafa Al-Kazemi is preparing to meet", None)
    return Piece(
        id="magnier-en",
        source="seeds/003",
        lang="en",
        text=body[:6000],
        title="USA TO IRAQ: WE WILL WITHDRAW BUT WITHOUT BEING HUMILIATED",
    )


# Hand translation of the Al-Binaa piece «هكذا تحاصر أميركا لبنان وسورية اقتصادياً ومالياً» (seed 003).
IMF_TRANSLATION = """\
A former official of the International Monetary Fund says: the reserve of the Banque du Liban is 2.5 billion dollars and the rest are digital dollars.
We return you, dear reader, to the Al-Binaa article of last November titled "A former IMF official: tens of millions of dollars leave Lebanon every day for Erbil". We met this former official again in Paris; he is of Arab origin, and he told us of his pessimism about the future of Lebanon, economically, politically and perhaps in security terms, as he put it. He says the Americans let the French move a little and then put in front of them every obstacle imaginable, so that France alone cannot save the situation in Lebanon without America's consent.
The financial official says that the reserve of the Banque du Liban amounts to two and a half billion dollars in cash, while the remaining billions are no more than numbers on a computer. The central bank faces more than one dilemma: it cannot convert these numbers into Lebanese pounds, because digitally it would have lost all its illusory dollar reserve, and this would accelerate the financial collapse. He added that the cash available is enough to import basic needs of fuel, medicine and wheat until the end of the current year.
The Syrian economy was hit by the Lebanese collapse: according to the former international financial official, 40 billion dollars belonging to Syrian businessmen and traders were deposited in Lebanese banks. After the looting of their deposits came to light they were left without the means to import, and the Syrian economy, like the Lebanese one, was exposed to crises in financing imports. We saw simultaneous fuel shortages in Lebanon and Syria; this was deliberate and carefully studied, and the Lebanese banking system was used as a channel to drain the hard currency of Lebanon and Syria.
What the Monetary Fund wants from Lebanon is the complete handover of all the profitable facilities of the Lebanese state at the lowest prices. The eleven billion promised to Lebanon by CEDRE would only sustain the Lebanese for a limited period, as long as the country's annual import bill is sixteen billion dollars.
We continue our conversation with the former IMF official, who said that America has tightened the noose on Syria and Lebanon by controlling the border crossings of both countries. The Nasib crossing in the south stays closed because Jordan refuses to open it on flimsy pretexts. Second comes the al-Malikiyah crossing with Iraq in eastern Syria, which on the Iraqi side is fully controlled by the American army; he says the Iraqi government abandoned the crossing to the American forces after Mustafa al-Kadhimi became prime minister of Iraq.
"""


def imf_translated() -> Piece:
    text = span(_seed("003"), "هكذا تحاصر أميركا لبنان وسورية", "USA TO IRAQ")
    return Piece(
        id="albinaa-imf",
        source="seeds/003",
        lang="ar",
        text=text,
        translation=IMF_TRANSLATION,
        title_translation="This is how America besieges Lebanon and Syria economically and financially",
    )
