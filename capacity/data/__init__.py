"""Built-in reference data other than hardware profiles (grid references)."""
