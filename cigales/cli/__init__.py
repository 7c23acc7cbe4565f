"""The `cigales` command line. Nothing imports this package; it imports the services."""
