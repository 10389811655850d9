"""Forms: what a person posts, read into clean values, with messages that say how to fix it.
Every POST that carries data has one: intake.py (files, pulls, the mapping) and editing.py (the
grid's edits)."""
