from ._speedups import add

__all__ = ["add"]
