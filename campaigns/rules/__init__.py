"""The rules: what Thulium would refuse, worded for the reader, grouped into problems, with the
likeliest meaning suggested. Pure: decided from values and the campaign's rules alone, no models,
no database, no HTTP (tests/unit/test_layers.py)."""
