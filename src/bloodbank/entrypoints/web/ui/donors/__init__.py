"""Pages of the donor side: the desk, the donor's kiosk, the collection chair."""
