"""The only layer that connects to a warehouse backend and executes expressions."""
