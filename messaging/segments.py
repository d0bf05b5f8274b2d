"""How many SMS segments a body costs, and in which encoding.

GSM-7 fits 160 characters in one SMS and 153 per segment once split (the concatenation
header takes the rest). A single character outside GSM-7 (an emoji, a smart quote, an em
dash) switches the whole message to UCS-2: 70 UTF-16 units, 67 per segment. Carriers bill
every segment, which is why the composer shows this count.
"""

import math
from dataclasses import dataclass

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# These cost two septets: an escape character and the character itself.
GSM7_EXTENSION = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SegmentCount:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int


def count_segments(body: str) -> SegmentCount:
    if all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in body):
        units = sum(2 if char in GSM7_EXTENSION else 1 for char in body)
        single, per_part, encoding = 160, 153, "GSM-7"
    else:
        # "surrogatepass": a lone surrogate is one unit, as the composer's JavaScript counts
        # it, instead of an exception.
        units = len(body.encode("utf-16-le", "surrogatepass")) // 2
        single, per_part, encoding = 70, 67, "UCS-2"
    segments = 1 if units <= single else math.ceil(units / per_part)
    return SegmentCount(encoding=encoding, units=units, segments=segments)
