"""Results as data: numpy arrays, strings and numbers, and the one file format that holds them.

The bottom layer of interplay (numpy and the standard library only): one frozen dataclass per kind
of result (what a view draws and what a file holds), the versioned file format
(:mod:`interplay.data.io`), and the few pure helpers every layer shares (token display, array
conversion, the circuit graph, annotation records). Nothing here knows a model, torch or a widget.
"""
