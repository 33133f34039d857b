"""Commands of the donor side: sites, donors, appointments, visits, collection, eligibility."""
