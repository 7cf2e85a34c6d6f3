"""Application shell of the customs risk-scoring platform: settings and the CLI."""
