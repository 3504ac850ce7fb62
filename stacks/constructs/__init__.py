"""Small constructs shared by the stacks, one concern each."""
