"""A PNG decoder just large enough for Chromium's screenshots: 8-bit RGB or
RGBA, not interlaced. Used to check that a screenshot shows something."""

import collections
import struct
import zlib


def decode(data):
    """(width, height, rows): rows is a list of bytes, `channels` bytes a pixel."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    position, chunks, header = 8, [], None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, colour_type, _, _, interlace = header
    if depth != 8 or colour_type not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour_type}")
    channels = 3 if colour_type == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    masks = (int.from_bytes(b"\x7f" * stride, "big"), int.from_bytes(b"\x80" * stride, "big"))
    rows, previous = [], bytes(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)]
        if kind == 2:
            line = _add_bytes(line, previous, masks)
        elif kind != 0:
            line = bytearray(line)
            _unfilter(kind, line, previous, channels)
        rows.append(bytes(line))
        previous = rows[-1]
    return width, height, rows, channels


def _add_bytes(a, b, masks):
    """(a[i] + b[i]) & 0xFF for every i, on whole rows at once: the low seven
    bits of each byte are added without carrying into the next byte, then the
    top bit is fixed up. The "Up" filter, which screenshots use most."""
    low, high = masks
    x, y = int.from_bytes(a, "big"), int.from_bytes(b, "big")
    return (((x & low) + (y & low)) ^ ((x ^ y) & high)).to_bytes(len(a), "big")


def _unfilter(kind, line, previous, channels):
    """Undoes the Sub (1), Average (3) or Paeth (4) filter in place (PNG
    spec, section 9); the first pixel's left neighbours are zero."""
    for i in range(len(line)):
        left = line[i - channels] if i >= channels else 0
        up = previous[i]
        if kind == 1:
            predicted = left
        elif kind == 3:
            predicted = (left + up) >> 1
        else:
            upper_left = previous[i - channels] if i >= channels else 0
            estimate = left + up - upper_left
            to_left, to_up, to_upper_left = abs(estimate - left), abs(estimate - up), abs(estimate - upper_left)
            if to_left <= to_up and to_left <= to_upper_left:
                predicted = left
            elif to_up <= to_upper_left:
                predicted = up
            else:
                predicted = upper_left
        line[i] = (line[i] + predicted) & 0xFF


def colours(path):
    """{(r, g, b): pixel count} of a PNG file."""
    width, height, rows, channels = decode(open(path, "rb").read())
    counts = collections.Counter()
    for row in rows:
        counts.update(zip(row[0::channels], row[1::channels], row[2::channels]))
    return counts
