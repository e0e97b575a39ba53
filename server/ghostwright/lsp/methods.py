"""The LSP methods ghostwright adds to the protocol: the one place their names are written."""

PARTIAL = "ghostwright/partialCompletion"  # server → editor: the completion so far
STATUS = "ghostwright/status"  # editor → server: the engine's state
DOCUMENT_TEXT = "ghostwright/documentText"  # editor → server: the text as the server has it
STATS = "ghostwright/stats"  # editor → server: the acceptance counts, as `ghostwright stats` prints them
ALTERNATIVE = "ghostwright/alternativeCompletion"  # editor → server: one more candidate
