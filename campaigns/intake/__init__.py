"""Intake: a supervisor's file becomes rows of text. Formats, encodings, the header row, what a
file may hold, and the cage every reader of untrusted bytes runs in. Imports neither models nor
HTTP (tests/unit/test_layers.py)."""
