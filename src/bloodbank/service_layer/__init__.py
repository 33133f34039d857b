"""Use cases: one function per thing a person does, each in one transaction.

Grouped by area, each a package of small modules named for what they hold:
`donors` (the donor side, from registration to the needle), `blood` (from the
bag to the shelf), `hospital` (from the patient's sample to the bedside),
`traceability` (vein to vein, recall), `staff` (accounts, logins, signatures),
`reporting` (figures across areas) and `shared` (the mechanisms every area
uses). Areas depend downwards in that order, and on another area's use cases,
never on its internal helpers (pyproject.toml, import-linter contracts).
"""
