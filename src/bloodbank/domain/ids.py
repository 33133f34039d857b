"""Record ids: positive whole numbers that fit the 32-bit integer columns every table uses.

One bound for every entry point, so an id PostgreSQL cannot hold (2**31 and up) is refused as
"no such record" at the door on pages, the API and the command line alike, and never reaches a query.
"""

MAX_ID = 2**31 - 1
