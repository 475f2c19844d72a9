"""The OpenAPI document: its shared fragments (headers, parameters, responses) and its assembly."""
