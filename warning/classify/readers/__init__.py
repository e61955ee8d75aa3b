"""Readers of training files, one module per format, each turning records into rows.

:mod:`warning.classify.adapters` detects a file's format and picks the reader;
:mod:`.rows` holds what they share (the row, the tally of skipped records, CSV and
text helpers).
"""
