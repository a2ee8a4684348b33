"""``POST /v1/episodes/{id}/snapshot``: commit a live episode, to start others from it.

The snapshot belongs to its episode's environment: it is removed when that episode ends
(deleted, expired, shut down), or later, once no episode started from it runs any more.
"""

from __future__ import annotations

from swe_env.errors import SweEnvError
from swe_env.server.episodes import EpisodeManager
from swe_env.server.models import ServiceError, SnapshotCreated
from swe_env.server.state import fault


async def snapshot_episode(m: EpisodeManager, episode_id: str) -> SnapshotCreated:
    """Snapshot the episode between two steps (its step lock held).

    Raises:
        ServiceError: 404 unknown episode, 409 a failed episode (its container is
            gone), 503 the engine failed (the episode goes on).
    """
    ep = m.lookup(episode_id)
    async with ep.lock:
        if ep.closed:
            raise ServiceError(404, "unknown_episode", f"no episode {episode_id!r} (it ended)")
        if ep.status == "failed":
            message = f"episode {ep.id} failed; nothing to snapshot"
            raise ServiceError(409, "episode_failed", message)
        try:
            image = await m.run(ep.env.snapshot)
        except SweEnvError as exc:
            raise fault(exc, retryable=True) from exc
        step = int(getattr(ep.env, "turn", ep.steps))
    return SnapshotCreated(episode_id=ep.id, snapshot_id=image, step=step)
