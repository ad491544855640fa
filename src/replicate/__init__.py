"""Reference replication of three papers on how deep networks learn individual examples."""

__version__ = "0.1.0"
