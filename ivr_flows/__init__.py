"""IVR flows as versioned YAML code, run on ARI (arrives with its own issue)."""
