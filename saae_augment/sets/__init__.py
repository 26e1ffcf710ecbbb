"""Commands that write whole labeled data folders (render, data split, data make-plates): the
folder, its ledger, label files, sheet and manifest live here; drawing and reading stay in data/."""
