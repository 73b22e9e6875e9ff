"""The iso8859-1 codec of the bootstrap Python 3.6, built on the builtin _codecs module.

The interpreter imports encodings.utf_8 and encodings.latin_1 by name while
it sets up the standard streams, so each codec is a module of its own.
"""

import _codecs

import encodings


class IncrementalEncoder(encodings.IncrementalEncoder):
    encode_function = staticmethod(_codecs.latin_1_encode)


class IncrementalDecoder(encodings.IncrementalDecoder):
    decode_function = staticmethod(_codecs.latin_1_decode)
    takes_final = False


def encode(input, errors='strict'):
    return _codecs.latin_1_encode(input, errors)


def decode(input, errors='strict'):
    return _codecs.latin_1_decode(input, errors)


def getregentry():
    return encodings.CodecInfo('iso8859-1', encode, decode, IncrementalEncoder, IncrementalDecoder)
