"""The task factory: tasks made from a repository by itself (issue 13).

- :mod:`swe_env.factory.infer`: the environment (Python, packages, test command) read from
  the repository's packaging files;
- :mod:`swe_env.factory.probe`: the suite run in a container (passing tests, flaky ones
  dropped) and the source functions the tests call;
- :mod:`swe_env.factory.mutators`: the five AST mutation kinds;
- :mod:`swe_env.factory.mutate`: mutate-fix: candidates run in parallel, kept, written as
  native tasks and validated.

The top floor: it uses tasks, images, sandbox, rewards and rollout.validate; only the CLI
imports it.
"""
