"""Access control: bearer tokens, their scopes, and what a request's token may do."""
