"""The LSP layer: the wire, its framing, and pygls handlers that only translate to and from the engine."""
