"""Bank statement import: readers (CSV profiles, OFX, camt.053), fingerprints, matching rules.

Everything here is pure (bytes in, lines and proposals out) except ``models``, the tables the
service in ``cigales.services.bank`` writes.
"""
