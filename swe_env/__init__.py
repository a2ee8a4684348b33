"""swe-env: software-engineering tasks as reinforcement-learning environments.

Importing the package registers its Gymnasium ids (``swe_env/SWE-v0``), as Gymnasium's
own ecosystem packages do, so that ``import swe_env`` then
``gymnasium.make("swe_env/SWE-v0", suite="demo")`` works. Registration stores an
entry-point string only: nothing of the environment, Docker or the tools is imported
until ``gymnasium.make`` builds one. :func:`register_envs` registers again (idempotent).
"""

__version__ = "0.1.0"

ENVS = {"swe_env/SWE-v0": "swe_env.env:SWEEnv"}
"""Every Gymnasium id of the package and its entry point (``module:attribute``)."""


def register_envs() -> None:
    """Register every id of :data:`ENVS` with Gymnasium (idempotent)."""
    import gymnasium

    for env_id, entry_point in ENVS.items():
        if env_id not in gymnasium.registry:
            gymnasium.register(env_id, entry_point=entry_point, disable_env_checker=True)


register_envs()
