"""Commands of the hospital side: hospitals and patients, orders, issue, transfusion."""
