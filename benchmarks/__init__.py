"""Load and cost benchmarks: the burst simulator (`vwr load`) and the handler micro-benchmarks."""
