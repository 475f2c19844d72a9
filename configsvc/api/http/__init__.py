"""HTTP mechanics the routes share: conditions and ETags, responses, problems, query strings,
idempotency keys, methods and Allow, held requests."""
