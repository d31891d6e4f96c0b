"""One module per CLI verb; each exposes ``main(**options) -> int``."""
