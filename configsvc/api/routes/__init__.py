"""The routers, one per resource: what each route does, and its OpenAPI text."""
