"""Documents and evidence shared in rooms: content checks, the scanning hook, uploads."""
