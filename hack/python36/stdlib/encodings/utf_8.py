"""The utf-8 codec of the bootstrap Python 3.6, built on the builtin _codecs module.

The interpreter imports encodings.utf_8 and encodings.latin_1 by name while
it sets up the standard streams, so each codec is a module of its own.
"""

import _codecs

import encodings

_CODEC = encodings.make_codec('utf-8', _codecs.utf_8_encode, _codecs.utf_8_decode, decode_takes_final=True)
encode, decode = _CODEC.encode, _CODEC.decode
IncrementalEncoder, IncrementalDecoder = _CODEC.incrementalencoder, _CODEC.incrementaldecoder


def getregentry():
    return _CODEC
