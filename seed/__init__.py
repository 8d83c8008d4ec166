"""Reference data and the deterministic demo-data generator."""
