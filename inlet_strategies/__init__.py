"""Inlet strategies: they decide when more visitors may enter, through the private API only."""
