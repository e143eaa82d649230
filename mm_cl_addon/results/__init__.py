"""Tables of results read back from finished runs' work dirs (every method's files)."""
