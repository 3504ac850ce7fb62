"""The waiting room's domain: counters, positions, tokens, expiry, events and their stores."""
