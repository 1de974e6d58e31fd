"""imagepin: digest-pinned, multi-arch Python container images.

The core package is plain Python: it never imports pulumi, so it is fast to import and to test.
"""

__version__ = "0.1.0"
