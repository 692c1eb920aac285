"""console layer (see DESIGN.md)."""
