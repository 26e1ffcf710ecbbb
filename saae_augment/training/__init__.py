"""Training the SAAE: pure losses, the three steps, the judge, checkpoints and the run loop."""
