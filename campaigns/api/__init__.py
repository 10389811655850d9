"""The HTTP API for integrations (/api/v1/): django-ninja routes over the same services as the
pages, a token acting as its user (tokens.py: who is asking, and how often), typed answers
(schemas.py) and an OpenAPI schema with its docs page."""
