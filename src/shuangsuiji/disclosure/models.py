"""Models of this app come with their issue."""
