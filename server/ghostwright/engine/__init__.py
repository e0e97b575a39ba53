"""The engine: documents' records, when to ask, generations in flight, typed-ahead reuse, the backend's lifetime."""
