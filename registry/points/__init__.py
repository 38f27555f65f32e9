"""Public points (R6-R10, R17): citizens' low-carbon acts reported by data partners, valued by
scene rules as code (``scenes``), written to a double-entry ledger (``ledger``), and anchored on
chain each day as a Merkle root over every citizen's balance and grams avoided (``epochs``), so
that each citizen can check their own balance against the chain.

The grams behind points are rewards, never credits: nothing here is issued as a project's
credits, and no credit is ever minted from points.
"""
