"""The regional and federal level: yearly club returns, their import and aggregation, and
access control on a shared PostgreSQL server."""
