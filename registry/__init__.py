"""The registry domain: methodologies, projects, reports, verification, issuance, transfers,
retirements; the database that indexes the chain, and the invariants that tie them together."""
