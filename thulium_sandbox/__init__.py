"""A faithful fake of the Thulium REST API, for the demo, the tests and the benchmarks.

Run it with ``python -m thulium_sandbox --host 127.0.0.1 --port 8765 --fixture FILE``.
It imports nothing from the dashboard.
"""
