"""The web application: server-rendered pages and the REST API, one FastAPI app."""
