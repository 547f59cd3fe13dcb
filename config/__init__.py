"""The default settings (TOML), installed as the package ``edgesim.config`` so every install ships them."""
