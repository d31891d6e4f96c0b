"""What the tests share besides fixtures: real repositories, the real CLI, and the
invariants and loaders several test files check with, one module per theme.

Test files import from here, never from a conftest.py or from another test file; the
conftest.py files hold only fixtures, built from these helpers. Nothing here mocks git
or DVC: every helper drives the real tools.
"""
