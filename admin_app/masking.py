"""Masks for ID and phone numbers shown to roles that may not read them in full."""

from __future__ import annotations


def mask_id_number(value: str) -> str:
    """``430121201203151232`` → ``430121********1232``: place kept, birth date hidden."""
    if not value:
        return ""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
