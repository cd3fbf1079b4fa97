"""Built-in hardware profiles (TOML data files, one per accelerator); see README.md."""
