"""Pages of the blood side: processing, the lab, inventory."""
