"""Typed infrastructure errors.

A command that fails, times out or prints too much is *data* (an observation). The
classes here are for infrastructure faults only: runners retry them and never count
them against the agent. Each also inherits the matching builtin so callers can catch
either, but none is an :class:`OSError`: tools report ``OSError`` from a file read or
write to the agent, and an infrastructure fault must never pass for one.
"""


class SweEnvError(Exception):
    """Base class for every infrastructure fault raised by swe-env."""


class DockerUnavailable(SweEnvError, RuntimeError):
    """No Docker engine answers."""


class ImageMissing(SweEnvError, LookupError):
    """A required image is not present locally (and cannot be pulled)."""


class ImageBuildError(SweEnvError, RuntimeError):
    """Building an image failed. ``log`` holds the build output."""

    def __init__(self, message: str, log: str = "") -> None:
        super().__init__(message)
        self.log = log


class SandboxError(SweEnvError, RuntimeError):
    """The container or its session broke in a way the agent did not cause."""


class SandboxDestroyed(SweEnvError, RuntimeError):
    """The agent's own commands left the container unable to run (its main process exits
    at once on restart: the filesystem it needs was deleted). Not an infrastructure
    fault: :class:`~swe_env.env.SWEEnv` ends the episode as the agent's failure."""


class SandboxClosed(SandboxError):
    """An operation was attempted on a closed sandbox."""


class ExecTimeout(SweEnvError, RuntimeError):
    """An infrastructure call (not an agent command) exceeded its deadline."""


class TaskError(SweEnvError, ValueError):
    """A task file is invalid. The message names the file and the field."""
