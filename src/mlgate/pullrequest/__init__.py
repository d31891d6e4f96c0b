"""A pull request's report: what changed (params, data, code), what it did to the metrics
against the base and against the version now deployed, and whether the change would pass
each environment's gates (the first environment's, where a merge promotes to, decide).
:func:`build` gathers; :mod:`mlgate.render.pr` formats."""

from mlgate.pullrequest.collect import EnvironmentGates, Report, Revision, Serving, build

__all__ = ["EnvironmentGates", "Report", "Revision", "Serving", "build"]
