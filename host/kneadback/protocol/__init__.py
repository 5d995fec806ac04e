"""Wire protocol 1.1 (see `firmware/PROTOCOL.md`) and the plain-text fallback, host side.

`cobs` and `crc` frame the bytes, `messages` parses and builds payloads, `decoder` splits a byte
stream into frames, `text` parses number-printing sketches, `timebase` maps a device clock to
session time, `health` says when a link is noisy, and `stream.DeviceStream` puts it all together:
bytes in, source items out. `conformance` runs it as a decoder of the shared conformance suite
(firmware/test/streams.json).
"""
