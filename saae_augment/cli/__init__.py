"""The command line: thin Typer functions over the library. The only place that imports typer/rich."""
