"""Reads for pages, exports, e-mails and commands: querysets, counts and figures; no writes."""
