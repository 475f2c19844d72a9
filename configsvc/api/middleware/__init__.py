"""The ASGI middleware, installed in one place (`stack.py`), outermost first."""
