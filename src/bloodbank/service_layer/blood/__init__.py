"""The blood side: processing (splits, pools, aliquots, irradiation), labels, test results,
quarantine and release, withdrawal and self-exclusion, donor follow-up, stock, transfers,
temperature excursions and discards.

`units`, `site_rules`, `donor_groups`, `release_facts` and `unit_sources` are helpers the
steps share; other areas call the use cases.
"""
