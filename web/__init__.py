"""What every request goes through, whatever blueprint answers it: error pages,
languages, static files, security headers and the database connection's settings.
Each module has a `register(app)` step the factory (app.py) calls."""
