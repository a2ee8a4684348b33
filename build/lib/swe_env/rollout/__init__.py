"""Rollouts: the agent loop, runners and trajectory records."""
