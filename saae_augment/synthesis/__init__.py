"""Bulk synthesis: which content with which style, the batched generator, and resumable writers."""
