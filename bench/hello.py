"""A bare Flask "hello world": the yardstick the load benchmark divides by.

Served with the same gunicorn settings as Tabby, it shows what the machine, gunicorn
and the load generator manage with no application work at all.
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, world!"
