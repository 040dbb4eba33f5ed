"""release-actions: build, hash, attest, publish and release Python projects."""

__version__ = "0.1.0"
