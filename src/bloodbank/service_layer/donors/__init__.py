"""The donor side: sites, registration, search and merge, appointments, check-in, screening,
deferrals, consent, collection and the DIN it gets.

Other areas use `consent`, `deferral_lookup`, `din_allocation` and `person`; `donor_fields` is this area's own.
"""
