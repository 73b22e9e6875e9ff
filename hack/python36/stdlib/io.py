"""The io module of the bootstrap Python 3.6: the builtin _io, re-exported.

The interpreter imports io to build sys.stdin/stdout/stderr and installs
io.OpenWrapper as builtins.open.  CPython's io.py also declares IOBase and
friends as abc.ABCMeta classes; here they are the _io base classes themselves.
"""

import _io
from _io import (DEFAULT_BUFFER_SIZE, BlockingIOError, UnsupportedOperation,
                 open, FileIO, BytesIO, StringIO, BufferedReader,
                 BufferedWriter, BufferedRWPair, BufferedRandom,
                 IncrementalNewlineDecoder, TextIOWrapper)

__all__ = ["BlockingIOError", "open", "IOBase", "RawIOBase", "FileIO",
           "BytesIO", "StringIO", "BufferedIOBase", "BufferedReader",
           "BufferedWriter", "BufferedRWPair", "BufferedRandom", "TextIOBase",
           "TextIOWrapper", "UnsupportedOperation", "SEEK_SET", "SEEK_CUR",
           "SEEK_END", "DEFAULT_BUFFER_SIZE", "IncrementalNewlineDecoder", "OpenWrapper"]

OpenWrapper = _io.open

SEEK_SET = 0
SEEK_CUR = 1
SEEK_END = 2

IOBase = _io._IOBase
RawIOBase = _io._RawIOBase
BufferedIOBase = _io._BufferedIOBase
TextIOBase = _io._TextIOBase
