"""A pull request's report: what changed (params, data, code), what it did to the metrics
against the base and against the version now deployed, and whether the change would pass
its environment's gates. :func:`build` gathers; :mod:`mlgate.render.pr` formats."""

from mlgate.pullrequest.collect import Report, Revision, Serving, build

__all__ = ["Report", "Revision", "Serving", "build"]
