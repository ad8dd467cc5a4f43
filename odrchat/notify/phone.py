"""Phone numbers as E.164 strings: one pure rule for everything typed into a phone field.

E.164 is "+", a country code and the subscriber number, 15 digits at most, no separators. The
rule, written out instead of pulling in libphonenumber's metadata (we only need to send texts to
numbers people confirm by code, not to validate every numbering plan in the world):

* Spaces, dots, dashes, slashes and parentheses are separators; a ``tel:`` prefix is dropped.
  Letters, extensions and anything else are refused.
* ``+`` starts an international number. So do the international call prefixes ``00`` (most of the
  world) and ``011`` (North America).
* Anything else is a national number of the default region, which is the North American Numbering
  Plan (US, Canada, ...): ten digits, or eleven starting with the trunk prefix 1.
* Country code 1 numbers must look like NANP numbers: ten digits after the 1, an area code and an
  exchange that start with 2-9, and an area code that is not an N11 service code (211-911).
* Other countries: 7 to 15 digits in all, not starting with 0. Whether the number exists is for
  the one-time code to prove, not for this rule.
"""

from __future__ import annotations

import re

__all__ = ["InvalidPhone", "to_e164"]

_ALLOWED = re.compile(r"\+?[0-9 ().\-/]+")
_REGIONS = {"US": "1", "CA": "1"}  # national numbers we can read: NANP only


def N_(message: str) -> str:
    """Marks a catalog text (odrchat.i18n extracts every N_ call); this module stays pure."""
    return message


class InvalidPhone(ValueError):
    """Not a phone number this server can text."""


def to_e164(raw: str, region: str = "US") -> str:
    """Normalise a typed phone number to E.164 (``+12135550100``) or raise InvalidPhone."""
    if region not in _REGIONS:
        raise ValueError(f"national numbers are understood for {sorted(_REGIONS)} only")
    text = raw.strip()
    if text[:4].lower() == "tel:":
        text = text[4:]
    if not _ALLOWED.fullmatch(text) or "+" in text[1:]:
        raise InvalidPhone(N_("is not a phone number"))
    digits = re.sub(r"\D", "", text)
    international = text.startswith("+")
    if not international:
        for prefix in ("011", "00"):
            if digits.startswith(prefix):
                digits, international = digits[len(prefix) :], True
                break
    if not international:
        if len(digits) == 11 and digits.startswith(_REGIONS[region]):
            digits = digits[1:]
        if len(digits) != 10:
            raise InvalidPhone(N_("needs ten digits with the area code, or + and a country code"))
        digits = _REGIONS[region] + digits
    if not 7 <= len(digits) <= 15 or digits.startswith("0"):
        raise InvalidPhone(N_("is not a phone number"))
    if digits.startswith("1"):
        _check_nanp(digits[1:])
    return "+" + digits


def _check_nanp(national: str) -> None:
    area, exchange = national[:3], national[3:6]
    if len(national) != 10:
        raise InvalidPhone(N_("needs ten digits after +1"))
    if area[0] in "01" or exchange[0] in "01" or area[1:] == "11":
        raise InvalidPhone(N_("is not a North American number"))
