"""Masks for ID and phone numbers shown to roles that may not read them in full."""

from __future__ import annotations

import re

#: An ID number (18 or 15 characters) or a mobile number inside free text, such as a
#: search term repeated in the heading of a masked export. Digits around it are part of it.
_ID_IN_TEXT = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9])")
_PHONE_IN_TEXT = re.compile(r"(?<![0-9])1[0-9]{10}(?![0-9])")


def mask_id_number(value: str) -> str:
    """``430121201203151232`` → ``430121********1232``: place kept, birth date hidden."""
    if not value:
        return ""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_text(text: str) -> str:
    """Free text with every ID- and phone-like number in it masked."""
    text = _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group(0)), text)
    return _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), text)


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
