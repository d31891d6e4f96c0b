"""Loading and validating mlgate's YAML: model declarations and the DVC files they point at."""
