"""Execution traces in the Code World Model's format (issue 15).

:mod:`~swe_env.traces.format` (the text format), :mod:`~swe_env.traces.tracer` (runs inside
a task container), :mod:`~swe_env.traces.collect` (hidden tests traced on the base and gold
states) and :mod:`~swe_env.traces.trace_env` (``swe_env/Trace-v0``). Importing this package
imports none of them.
"""
