"""Re-assessment (Art. 18): drift measures, alert policy, promotion gate, effectiveness,
reports."""
