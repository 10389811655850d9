"""What the database itself must hold or do fast: the audit log's append-only triggers, and
writing many rows in few statements."""
