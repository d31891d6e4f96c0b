"""The only place that formats output: tables, JSON, markdown."""
