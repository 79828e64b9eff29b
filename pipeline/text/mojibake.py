"""Arabic mojibake: Windows Arabic (cp1256) bytes read as a Latin charset, told apart and repaired.

A cp1256 page declared ISO-8859-1 or windows-1252 (or any charset that reads
every byte), or a file a scraper already decoded that way and saved as
UTF-8, holds text such as "ÓæÑíÇ áã ÊäÊÙÑ" for «سوريا لم تنتظر»: language
detection calls it Slovak and nothing is translated. Each of those Latin
characters stands for one byte, so the repair is a table: the character a
Latin charset reads from byte b becomes the character cp1256 reads from b.
Characters no Latin charset gives (real Arabic letters, CJK…) are kept.

The judge is the result, not the input: text is Arabic mojibake when most of
its non-ASCII characters are ones the table maps and, mapped, most of them
are Arabic letters. French or German text stays as it is (cp1256 keeps é, è,
à, ç… where Latin-1 has them, so nothing Arabic comes out).
"""

from __future__ import annotations

from pipeline.text.script import arabic_share, is_arabic_letter

_LATIN_CHARSETS = ("cp1252", "latin-1")
_MIN_CHARS = 10  # fewer non-ASCII characters say too little


def _table() -> dict[int, str]:
    table: dict[int, str] = {}
    for byte in range(0x80, 0x100):
        try:
            arabic = bytes([byte]).decode("cp1256")
        except UnicodeDecodeError:
            continue
        for charset in _LATIN_CHARSETS:
            try:
                latin = bytes([byte]).decode(charset)
            except UnicodeDecodeError:
                continue
            if latin != arabic:
                table.setdefault(ord(latin), arabic)
    return table


REPAIR = _table()


def is_arabic_mojibake(text: str) -> bool:
    """True when `text` reads as cp1256 Arabic once its Latin characters are taken back to their bytes."""
    foreign = [c for c in text if ord(c) > 127]
    if len(foreign) < _MIN_CHARS:
        return False
    mapped = sum(1 for c in foreign if ord(c) in REPAIR or 0xC0 <= ord(c) <= 0xFF)
    return mapped >= 0.9 * len(foreign) and reads_as_arabic_prose(repair(text))


def reads_as_arabic_prose(text: str) -> bool:
    """Most non-ASCII letters are Arabic, and they form words, not single letters inside Latin words.

    A German "Mädchen" read as cp1256 becomes "M" + an Arabic letter +
    "dchen": Arabic letters, but each wedged between Latin ones. Arabic prose
    (beside English, in an aggregator's dump) keeps its letters together.
    """
    foreign = "".join(c for c in text if ord(c) > 127)
    if len(foreign) < _MIN_CHARS or arabic_share(foreign) < 0.6:
        return False
    arabic = wedged = 0
    for i, char in enumerate(text):
        if is_arabic_letter(char):
            arabic += 1
            wedged += any(j in range(len(text)) and text[j].isascii() and text[j].isalpha() for j in (i - 1, i + 1))
    return arabic >= _MIN_CHARS and wedged <= 0.1 * arabic


def repair(text: str) -> str:
    """`text` with each Latin character a cp1256 byte was misread as replaced by the Arabic character it stands for."""
    return text.translate(REPAIR)
