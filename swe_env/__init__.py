"""swe-env: software-engineering tasks as reinforcement-learning environments.

Importing the package registers its Gymnasium ids (:data:`ENVS`: ``swe_env/SWE-v0``,
``swe_env/Trace-v0``), as Gymnasium's ecosystem packages do: ``import swe_env`` then
``gymnasium.make("swe_env/SWE-v0", suite="demo")`` works. It stays light: each id is
registered with an entry-point string (nothing of the environment, Docker or the tools
loads before ``gymnasium.make``), and if Gymnasium itself is not imported yet (it brings
numpy: 0.4 to 0.8 s on a loaded 2-core machine), the registration waits until it is,
whoever imports it, so that ``import swe_env`` itself takes a few milliseconds.
:func:`register_envs` registers at once (idempotent).
"""

import sys

__version__ = "0.1.0"

ENVS = {
    "swe_env/SWE-v0": "swe_env.env:SWEEnv",
    "swe_env/Trace-v0": "swe_env.traces.trace_env:TraceEnv",
}
"""Every Gymnasium id of the package and its entry point (``module:attribute``)."""


def register_envs() -> None:
    """Register every id of :data:`ENVS` with Gymnasium (idempotent; imports gymnasium)."""
    import gymnasium

    for env_id, entry_point in ENVS.items():
        if env_id not in gymnasium.registry:
            gymnasium.register(env_id, entry_point=entry_point, disable_env_checker=True)


class _RegisterWhenGymnasiumLoads:
    """An import hook: finds ``gymnasium`` as the other finders would, and has
    :func:`register_envs` run right after the package's own code, then leaves
    ``sys.meta_path``. A spec found only to test availability changes nothing."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> object:
        if name != "gymnasium":
            return None
        for finder in list(sys.meta_path):
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is not None and hasattr(loader, "exec_module"):
            run = loader.exec_module

            def exec_module(module: object) -> None:
                run(module)
                if self in sys.meta_path:
                    sys.meta_path.remove(self)
                register_envs()

            loader.exec_module = exec_module
        return spec


if "gymnasium" in sys.modules:
    register_envs()
elif not any(isinstance(f, _RegisterWhenGymnasiumLoads) for f in sys.meta_path):
    sys.meta_path.insert(0, _RegisterWhenGymnasiumLoads())
