"""What the model sees around the cursor (windows, prompt) and what is made of its answer (stops, clean-up)."""
