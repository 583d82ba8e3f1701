"""Plans: an organisation's plan, its sections, per-language texts and glossary."""
