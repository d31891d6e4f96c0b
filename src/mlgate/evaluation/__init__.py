"""Metrics mlgate computes itself, for binary, multiclass and regression models, and the
paired comparison of two models on the same rows. Pure numpy: no file, no git, no DVC."""
