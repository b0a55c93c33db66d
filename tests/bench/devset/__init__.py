"""Our dev set for the suggesters: the demo articles annotated by hand (see demo-gold.spec.json)."""
