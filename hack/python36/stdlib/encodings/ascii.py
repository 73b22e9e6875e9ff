"""The ascii codec of the bootstrap Python 3.6, built on the builtin _codecs module.

The interpreter imports encodings.utf_8 and encodings.latin_1 by name while
it sets up the standard streams, so each codec is a module of its own.
"""

import _codecs

import encodings

_CODEC = encodings.make_codec('ascii', _codecs.ascii_encode, _codecs.ascii_decode)
encode, decode = _CODEC.encode, _CODEC.decode
IncrementalEncoder, IncrementalDecoder = _CODEC.incrementalencoder, _CODEC.incrementaldecoder


def getregentry():
    return _CODEC
