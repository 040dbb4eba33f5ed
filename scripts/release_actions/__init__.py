"""release-actions: build, hash, attest, publish and release Python projects."""

__version__ = "0.1.0"
# Where the suite is published: how the starter workflows name it unless told a pin.
DEFAULT_ACTIONS = "release-actions/release-actions@v1"
