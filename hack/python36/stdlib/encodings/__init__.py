"""Codec search function of the bootstrap Python 3.6 (see hack/python36/check.sh).

The interpreter looks up codecs by name during startup (the file system
encoding, the standard streams) and the tokenizer does when a source file
declares one.  CPython's encodings package is not available here, so this
search function serves the three codecs the check needs, built on the
builtin _codecs module of libpython3.6m.  Any other name is an unknown
encoding: a source file that declares one (say cp1252) makes the check fail
with a traceback of ansible-test's compile.py, not pass unchecked.
"""

import _codecs

_MODULES = {
    'utf_8': 'encodings.utf_8',
    'ascii': 'encodings.ascii',
    'latin_1': 'encodings.latin_1',
}

# Spellings that normalize() turns into one of the module names above.
_ALIASES = {
    'utf8': 'utf_8', 'u8': 'utf_8', 'utf': 'utf_8', 'cp65001': 'utf_8',
    'us_ascii': 'ascii', '646': 'ascii', 'ansi_x3_4_1968': 'ascii',
    'iso646_us': 'ascii', 'us': 'ascii',
    'latin1': 'latin_1', 'latin': 'latin_1', 'l1': 'latin_1', 'iso8859_1': 'latin_1',
    'iso_8859_1': 'latin_1', '8859': 'latin_1', 'cp819': 'latin_1',
}


def normalize(name):
    """Lower case, with each run of other characters than letters, digits and dots as one underscore."""
    chars = []
    punct = False
    for char in name.lower():
        if char.isalnum() or char == '.':
            if punct and chars:
                chars.append('_')
            chars.append(char)
            punct = False
        else:
            punct = True
    return ''.join(chars)


class CodecInfo(tuple):
    """The 4-tuple (encode, decode, reader, writer) with the attributes io.TextIOWrapper reads."""

    _is_text_encoding = True

    def __new__(cls, name, encode, decode, incrementalencoder, incrementaldecoder):
        self = tuple.__new__(cls, (encode, decode, None, None))
        self.name = name
        self.encode = encode
        self.decode = decode
        self.incrementalencoder = incrementalencoder
        self.incrementaldecoder = incrementaldecoder
        self.streamreader = None
        self.streamwriter = None
        return self


class IncrementalEncoder(object):
    """Stateless incremental encoder around one _codecs encode function."""

    encode_function = None

    def __init__(self, errors='strict'):
        self.errors = errors

    def encode(self, input, final=False):
        return self.encode_function(input, self.errors)[0]

    def reset(self):
        pass

    def getstate(self):
        return 0

    def setstate(self, state):
        pass


class IncrementalDecoder(object):
    """Incremental decoder that keeps an incomplete trailing byte sequence for the next call."""

    decode_function = None
    takes_final = False  # whether decode_function has a `final` argument (utf-8's has)

    def __init__(self, errors='strict'):
        self.errors = errors
        self.buffer = b''

    def decode(self, input, final=False):
        data = self.buffer + input
        if self.takes_final:
            result, consumed = self.decode_function(data, self.errors, final)
        else:
            result, consumed = self.decode_function(data, self.errors)
        self.buffer = data[consumed:]
        return result

    def reset(self):
        self.buffer = b''

    def getstate(self):
        return (self.buffer, 0)

    def setstate(self, state):
        self.buffer = state[0]


def make_codec(name, encode_function, decode_function, decode_takes_final=False):
    """The CodecInfo of a stateless codec: one _codecs encode and one decode function."""

    class Encoder(IncrementalEncoder):
        pass

    class Decoder(IncrementalDecoder):
        takes_final = decode_takes_final

    Encoder.encode_function = staticmethod(encode_function)
    Decoder.decode_function = staticmethod(decode_function)

    def encode(input, errors='strict'):
        return encode_function(input, errors)

    def decode(input, errors='strict'):
        if decode_takes_final:
            return decode_function(input, errors, True)
        return decode_function(input, errors)

    return CodecInfo(name, encode, decode, Encoder, Decoder)


_cache = {}


def search_function(encoding):
    """Return a CodecInfo for utf-8, ascii or latin-1 (any spelling), else None."""
    name = normalize(encoding).replace('.', '_')
    name = _ALIASES.get(name, name)
    if name not in _MODULES:
        return None
    if name not in _cache:
        module = __import__(_MODULES[name], fromlist=['getregentry'])
        _cache[name] = module.getregentry()
    return _cache[name]


_codecs.register(search_function)
