"""mlgate: declarative promotion gates and an audit trail for ML models, on git and DVC."""

__version__ = "0.1.0"

__all__ = ["__version__"]
