"""`Idempotency-Key`: replay the first answer to a repeated creating request."""
