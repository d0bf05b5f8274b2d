import pytest

from messaging.segments import count_segments


@pytest.mark.parametrize(
    ("body", "encoding", "segments"),
    [
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("a" * 1600, "GSM-7", 11),
        ("€" * 80, "GSM-7", 1),  # each extension character costs two septets
        ("€" * 81, "GSM-7", 2),
        ("a" * 69 + "—", "UCS-2", 1),  # one em dash switches the whole message
        ("a" * 70 + "—", "UCS-2", 2),
        ("😀" * 35, "UCS-2", 1),  # an emoji outside the BMP takes two UTF-16 units
        ("😀" * 36, "UCS-2", 2),
        ("a" * 134, "GSM-7", 1),
    ],
)
def test_segment_count_follows_the_carrier_rules(body, encoding, segments):
    count = count_segments(body)
    assert (count.encoding, count.segments) == (encoding, segments)


def test_ucs2_parts_hold_67_units():
    assert count_segments("ü" * 10 + "—" * 124).segments == 2
    assert count_segments("—" * 135).segments == 3
