"""Does synthetic data help a recognizer? Regimes, recognizers, metrics and the report."""
