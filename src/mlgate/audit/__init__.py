"""The auditor's view of the registry: history, what served when, verification, diffs,
reproduction, the model inventory and an exportable report.

Everything is read from git (the ledger branch and the registry's tags) and DVC, and
returned as data; :mod:`mlgate.render` formats it.
"""
