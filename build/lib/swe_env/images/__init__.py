"""Images: base bootstrap, env and instance builds, cached by content hash."""
