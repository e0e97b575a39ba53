"""The local model store: the embedded model's installation, its hashes, and its one-time conversion."""
