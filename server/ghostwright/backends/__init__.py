"""Backends: where prompts become tokens. One small interface, one module per runtime."""
