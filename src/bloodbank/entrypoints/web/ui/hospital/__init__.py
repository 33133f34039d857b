"""Pages of the hospital transfusion laboratory and the ward."""
